// Progressive enhancement: only list the components of the chosen asset.
(function () {
  var asset = document.getElementById("asset_serial");
  var component = document.getElementById("component_id");
  if (!asset || !component) return;
  var all = Array.prototype.slice.call(component.options);
  function filter() {
    var serial = asset.value;
    var keep = component.value;
    component.innerHTML = "";
    all.forEach(function (opt) {
      if (!opt.value || opt.text.indexOf(serial + ":") === 0) component.appendChild(opt);
    });
    component.value = Array.prototype.some.call(component.options, function (o) { return o.value === keep; }) ? keep : "";
  }
  asset.addEventListener("change", filter);
  filter();
})();
