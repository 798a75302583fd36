// The asset import page: poll the job, move the progress bar, reload once it has finished
// (the page then shows the outcome and every refused line).
(function () {
  var box = document.getElementById("import-job");
  if (!box || box.getAttribute("data-running") !== "yes" || !window.fetch) return;
  var bar = document.getElementById("import-progress");
  var count = document.getElementById("import-count");
  var state = document.getElementById("import-state");
  var writing = false;
  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (job === null) { setTimeout(poll, 2000); return; }
        bar.max = job.total;
        bar.value = job.processed;
        count.textContent = job.processed + " of " + job.total;
        if (!writing && !job.finished && job.processed >= job.total) {
          writing = true;  // every row read: the install checks and the all-or-nothing write remain
          state.textContent = "All rows read; finishing the checks and writing (all or nothing)…";
        }
        if (job.finished) { window.location.reload(); } else { setTimeout(poll, 400); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 200);
})();
