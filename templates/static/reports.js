// Refresh the account dashboard every minute without a full reload.
(function () {
  var box = document.getElementById("dashboard");
  if (!box || !window.fetch) return;
  function refresh() {
    if (document.hidden) return;
    fetch(box.getAttribute("data-refresh"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) box.innerHTML = html; })
      .catch(function () {});
  }
  setInterval(refresh, 60000);
})();
