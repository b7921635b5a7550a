// Evidence upload: drag and drop onto the drop zone, and an XMLHttpRequest upload with
// a progress bar. Without JavaScript the same form posts normally.
(function () {
  "use strict";

  function setup(form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var nameOut = form.querySelector("[data-dropzone-name]");
    var progress = form.querySelector("[data-progress]");
    var bar = progress ? progress.querySelector(".progress-bar") : null;
    var errorBox = form.querySelector("[data-upload-error]");
    if (!input || !zone) { return; }

    function showName() {
      if (nameOut) {
        nameOut.textContent = input.files && input.files.length ? "Selected: " + input.files[0].name : "";
      }
    }
    input.addEventListener("change", showName);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("rh-dropzone-over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("rh-dropzone-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showName();
      }
    });

    function setProgress(pct) {
      if (!progress || !bar) { return; }
      progress.classList.remove("d-none");
      progress.setAttribute("aria-valuenow", String(pct));
      bar.style.width = pct + "%";
      bar.textContent = pct + "%";
    }

    function showErrors(errors) {
      if (!errorBox) { return; }
      var lines = [];
      Object.keys(errors || {}).forEach(function (key) {
        (errors[key] || []).forEach(function (msg) { lines.push(msg); });
      });
      errorBox.textContent = lines.join(" ") || "The upload failed.";
      errorBox.classList.remove("d-none");
    }

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      if (errorBox) { errorBox.classList.add("d-none"); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { setProgress(Math.round((e.loaded / e.total) * 100)); }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (xhr.status >= 200 && xhr.status < 300 && body && body.ok) {
          setProgress(100);
          window.location.assign(body.redirect);
        } else if (body && body.errors) {
          showErrors(body.errors);
        } else {
          showErrors({ error: ["The upload failed (" + xhr.status + ")."] });
        }
      });
      xhr.addEventListener("error", function () { showErrors({ error: ["The upload failed: network error."] }); });
      setProgress(0);
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), setup);
  });
})();
