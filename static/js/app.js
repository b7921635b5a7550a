// RiskHub behaviour without inline scripts (the CSP forbids them).
(function () {
  "use strict";
  // Confirm before destructive actions: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  }, true);
  // Auto-submit filter selects: <select data-autosubmit>.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.dataset && el.dataset.autosubmit !== undefined && el.form) {
      el.form.requestSubmit();
    }
  });
  // Move focus to the first field with an error after a failed submit.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector(".is-invalid, [aria-invalid='true']");
    if (invalid) { invalid.focus(); }
  });
})();
