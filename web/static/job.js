// Keeps a running job's status current: asks the JSON API every few seconds and updates the live region,
// which screen readers announce politely. Stops once the job has finished (and reloads to show its files).
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box || box.getAttribute("data-terminal") === "yes") { return; }
  var url = box.getAttribute("data-job-url");
  var last = null;
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function tick() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var pct = Math.round(job.progress || 0);
        var text = job.status + " " + (job.message || "") + " " + pct;
        if (text !== last) {
          last = text;
          field("status").textContent = job.status;
          field("status").className = "badge status-" + job.status;
          field("message").textContent = job.message || "";
          field("progress").value = pct;
          field("progress").textContent = pct + "%";
          field("pct").textContent = pct + "%";
        }
        if (job.terminal) { window.location.reload(); return; }
        window.setTimeout(tick, 3000);
      })
      .catch(function () { window.setTimeout(tick, 10000); });
  }
  window.setTimeout(tick, 3000);
})();
