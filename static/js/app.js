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
  // Warn before leaving a <form data-warn-unsaved> with changes not yet saved: armed by
  // any change in the form (or a "rh:changed" event, e.g. the matrix picker), disarmed on
  // submit so saving never asks.
  var unsaved = false;
  function arm(event) {
    var form = event.target && event.target.closest && event.target.closest("form");
    if (form && form.dataset.warnUnsaved !== undefined) { unsaved = true; }
  }
  document.addEventListener("input", arm);
  document.addEventListener("change", arm);
  document.addEventListener("rh:changed", arm);
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented && event.target.dataset.warnUnsaved !== undefined) {
      unsaved = false;
    }
  });
  // Autosave (static/js/autosave.js) disarms the warning once the server has the
  // draft, and re-arms it when a save came back with errors.
  document.addEventListener("rh:saved", function () { unsaved = false; });
  document.addEventListener("rh:unsaved", function () { unsaved = true; });
  // A form the server sent back unsaved (errors, a conflict) holds typed input that
  // exists nowhere else: <form data-warn-unsaved data-unsaved-on-load>.
  function armOnLoad() {
    if (document.querySelector("form[data-warn-unsaved][data-unsaved-on-load]")) {
      unsaved = true;
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", armOnLoad);
  } else {
    armOnLoad();
  }
  window.addEventListener("beforeunload", function (event) {
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // Move focus to the first field with an error after a failed submit.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector(".is-invalid, [aria-invalid='true']");
    if (invalid) { invalid.focus(); }
  });
})();
