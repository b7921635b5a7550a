/* Autosave: <form data-autosave> posts itself to its own URL a pause after the last
   edit, with the X-RiskHub-Autosave header, and the server answers in JSON
   (riskhub/risk/views.py _autosave): the same service and revision check as the Save
   button, so a save someone else's save overtook is refused (409) and nothing is
   overwritten. The [data-autosave-status] region (aria-live) says "Saved 12:03" or
   "Not saved: ..."; the leave warning (app.js) is disarmed after a save and re-armed
   when one came back with errors. */
(function () {
  "use strict";
  var DELAY = 2500;

  function setup(form) {
    var status = form.querySelector("[data-autosave-status]");
    var timer = 0;
    var edits = 0;      // edits since the page loaded
    var savedEdits = 0; // edits the server has
    var inFlight = false;
    var stopped = false; // after a conflict: only a deliberate Save goes on

    function say(text, ok) {
      if (!status) { return; }
      status.textContent = text;
      status.classList.toggle("text-danger", !ok);
      status.classList.toggle("text-success", ok);
    }

    function schedule() {
      window.clearTimeout(timer);
      // data-autosave-delay (ms) overrides the pause; the browser tests set it.
      timer = window.setTimeout(save, Number(form.dataset.autosaveDelay) || DELAY);
    }

    function edited(event) {
      if (event.target && event.target.closest && event.target.closest("form") !== form) {
        return;
      }
      edits += 1;
      if (!stopped) { schedule(); }
    }

    function apply(answer) {
      var revision = form.querySelector("input[name=revision]");
      if (revision && answer.revision) { revision.value = String(answer.revision); }
      Object.keys(answer.risks || {}).forEach(function (prefix) {
        var input = form.querySelector("input[name='" + prefix + "-uuid']");
        if (input) { input.value = answer.risks[prefix]; }
      });
    }

    function save() {
      if (stopped || edits === savedEdits) { return; }
      if (inFlight) { schedule(); return; }
      inFlight = true;
      var sending = edits;
      say("Saving…", true);
      window.fetch(window.location.pathname, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-RiskHub-Autosave": "1", "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (answer) {
          return { status: response.status, answer: answer };
        });
      }).then(function (result) {
        var answer = result.answer || {};
        if (answer.saved) {
          apply(answer);
          savedEdits = sending;
          say("Saved " + answer.at, true);
          if (edits === savedEdits) {
            form.dispatchEvent(new CustomEvent("rh:saved", { bubbles: true }));
          }
          return;
        }
        if (result.status === 409) { stopped = true; }
        say("Not saved: " + (answer.errors || ["the server refused the draft."]).join(" "), false);
        form.dispatchEvent(new CustomEvent("rh:unsaved", { bubbles: true }));
      }).catch(function () {
        say("Not saved: the server could not be reached. Your changes are still on this page.", false);
        form.dispatchEvent(new CustomEvent("rh:unsaved", { bubbles: true }));
      }).then(function () {
        inFlight = false;
      });
    }

    form.addEventListener("input", edited);
    form.addEventListener("change", edited);
    form.addEventListener("rh:changed", edited);
    form.addEventListener("submit", function () { window.clearTimeout(timer); stopped = true; });
  }

  document.querySelectorAll("form[data-autosave]").forEach(setup);
})();
