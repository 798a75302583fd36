// Progressive enhancement: only offer the components of the chosen asset.
(function () {
  var asset = document.getElementById("asset_serial");
  var component = document.getElementById("component_id");
  if (!asset || !component) return;
  var groups = Array.prototype.slice.call(component.querySelectorAll("optgroup"));
  function filter() {
    groups.forEach(function (group) {
      var match = group.label === asset.value;
      group.hidden = !match;
      group.disabled = !match;
    });
    var selected = component.options[component.selectedIndex];
    if (selected && selected.parentNode.disabled) component.value = "";
  }
  asset.addEventListener("change", filter);
  filter();
})();
