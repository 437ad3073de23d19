// Progress without reloading: the course's job table asks for fresh states every few seconds while any job runs.
(function () {
  "use strict";
  var table = document.querySelector("table.jobs[data-poll]");
  function live() {
    return table && table.querySelector("progress") !== null;
  }
  function poll() {
    if (!live()) return;
    fetch(table.getAttribute("data-poll"), {credentials: "omit"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (!data) return;
      data.jobs.forEach(function (j) {
        var row = table.querySelector('tr[data-job="' + j.id + '"]');
        if (!row) return;
        row.querySelector("[data-status]").textContent = j.status.replace(/_/g, " ");
        row.querySelector("[data-message]").textContent = j.message;
        var bar = row.querySelector("progress");
        if (bar) {
          if (j.status === "queued" || j.status === "running") { bar.value = j.progress; bar.textContent = j.progress + "%"; }
          else { bar.remove(); }
        }
      });
    }).catch(function () {}).then(function () { setTimeout(poll, 4000); });
  }
  setTimeout(poll, 4000);
  document.querySelectorAll("form[data-busy]").forEach(function (f) {
    f.addEventListener("submit", function () {
      var b = f.querySelector("button[type=submit]");
      if (b) { b.disabled = true; b.textContent = f.getAttribute("data-busy"); b.setAttribute("aria-busy", "true"); }
    });
  });
  var back = document.querySelector("form[data-autosubmit]");
  if (back) back.submit();
})();
// Dynamic registration ends by telling the LMS to close its dialog (LTI Dynamic Registration §3.6).
(function () {
  "use strict";
  var close = document.querySelector("[data-close-registration]");
  if (!close) return;
  close.addEventListener("click", function () {
    (window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");
  });
})();
// Inside the LMS's iframe, ask for the height the page needs (Canvas and Moodle honour lti.frameResize).
(function () {
  "use strict";
  if (window.parent === window) return;
  function resize() {
    window.parent.postMessage({subject: "lti.frameResize", height: document.documentElement.scrollHeight}, "*");
  }
  window.addEventListener("load", resize);
  window.addEventListener("resize", resize);
})();
