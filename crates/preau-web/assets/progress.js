// Follows a directory import running in the background: updates the progress bar and its
// status line every two seconds, then opens the report. Without JavaScript, the page's
// "refresh" link does the same by hand.
(function () {
  var job = document.getElementById("import-job");
  if (!job) return;
  var bar = document.getElementById("import-progress");
  var status = document.getElementById("import-status");
  var entries = status.textContent.split("–").pop().replace(/^[\s\d]+/, "");
  function poll() {
    fetch(job.dataset.status, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        if (s.report) { window.location.assign(s.report); return; }
        bar.value = s.percent;
        bar.textContent = s.percent + " %";
        status.textContent = s.percent + " % – " + s.file + " – " + s.entries + " " + entries;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
