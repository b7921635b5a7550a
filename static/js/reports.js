// Reports page: show the framework field only for the framework compliance report.
(function () {
  "use strict";
  var form = document.getElementById("report-request-form");
  if (!form) { return; }
  var kind = form.querySelector("select[name=kind]");
  var framework = form.querySelector("[data-report-field=framework]");
  function sync() {
    if (kind && framework) { framework.hidden = kind.value !== "framework-compliance"; }
  }
  if (kind) { kind.addEventListener("change", sync); }
  sync();
})();
