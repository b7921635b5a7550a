// Reports page: show the framework field only for the framework compliance report.
(function () {
  "use strict";
  var form = document.getElementById("report-request-form");
  if (!form) { return; }
  var kind = form.querySelector("select[name=kind]");
  var framework = form.querySelector("[data-report-field=framework]");
  function sync() {
    if (kind && framework) {
      var hidden = kind.value !== "framework-compliance";
      framework.hidden = hidden;
      // A hidden framework is not sent: only the compliance report takes one.
      var select = framework.querySelector("select");
      if (select) { select.disabled = hidden; }
    }
  }
  if (kind) { kind.addEventListener("change", sync); }
  sync();
})();
