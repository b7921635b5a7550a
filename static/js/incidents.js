// Incident clocks: keep the "time left" text current without reloading the page.
// The server renders the same text; this only refreshes it every 30 seconds.
(function () {
  "use strict";

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function humanise(ms) {
    var overdue = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(s / 86400);
    var hours = Math.floor((s % 86400) / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    var parts = [];
    if (days) { parts.push(plural(days, "day")); }
    if (hours && days < 7) { parts.push(plural(hours, "hour")); }
    if (!days && minutes && hours < 6) { parts.push(plural(minutes, "minute")); }
    var text = parts.join(" ") || "less than a minute";
    return text + (overdue ? " overdue" : " left");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".rh-countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      if (!isNaN(due)) {
        el.textContent = humanise(due - now);
        el.classList.toggle("text-danger", due < now);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 30000);
  });
}());
