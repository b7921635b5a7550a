// Risk matrix picker: click a cell, or move with the arrow keys and press Enter/Space.
// The chosen impact and likelihood go into hidden inputs; the score and band come from
// the server through htmx. While picking, a residual level above the inherent one is
// flagged at once with the server's own message (the server still checks on save).
// Suggested risks are collapsed rows, one open at a time. Also: add a custom risk row
// from the <template>.
(function () {
  "use strict";

  function picker(el) { return el.closest(".rh-picker"); }

  function choose(button) {
    var box = picker(button);
    if (!box) { return; }
    var inputs = box.querySelectorAll("input[type=hidden]");
    var impact = button.dataset.impact;
    var likelihood = button.dataset.likelihood;
    inputs.forEach(function (input) {
      if (/_impact$/.test(input.name)) { input.value = impact; }
      if (/_likelihood$/.test(input.name)) { input.value = likelihood; }
    });
    box.querySelectorAll(".rh-cell").forEach(function (cell) {
      var on = cell === button;
      cell.classList.toggle("rh-cell-selected", on);
      cell.setAttribute("aria-pressed", on ? "true" : "false");
      cell.tabIndex = on ? 0 : -1;
    });
    checkResidual(button.closest("[data-risk-row]"));
    button.dispatchEvent(new CustomEvent("rh:changed", { bubbles: true }));
    var output = box.querySelector("output");
    if (window.htmx && output) {
      window.htmx.ajax("GET", box.dataset.scoreUrl + "?impact=" + encodeURIComponent(impact) +
        "&likelihood=" + encodeURIComponent(likelihood), { target: output, swap: "innerHTML" });
    }
  }

  function level(row, name) {
    var input = row.querySelector("input[type=hidden][name$='-" + name + "']");
    return input && input.value ? parseInt(input.value, 10) : 0;
  }

  function checkResidual(row) {
    if (!row) { return; }
    var warning = row.querySelector(".rh-residual-warning");
    if (!warning) { return; }
    var messages = [];
    ["impact", "likelihood"].forEach(function (axis) {
      var inherent = level(row, "inherent_" + axis);
      var residual = level(row, "residual_" + axis);
      if (inherent && residual && residual > inherent) { messages.push(warning.dataset[axis]); }
    });
    warning.textContent = messages.join(" ");
    warning.hidden = messages.length === 0;
  }

  // One suggested risk open at a time (the details' shared name does this in new
  // browsers; this covers the others).
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!(opened instanceof HTMLDetailsElement) || !opened.open ||
        opened.dataset.suggested === undefined) { return; }
    document.querySelectorAll("details[data-suggested][open]").forEach(function (other) {
      if (other !== opened) { other.open = false; }
    });
  }, true);

  document.addEventListener("click", function (event) {
    var cell = event.target.closest && event.target.closest("button.rh-cell");
    if (cell) { event.preventDefault(); choose(cell); return; }
    var add = event.target.closest && event.target.closest("[data-add-risk]");
    if (add) { addRow(); }
  });

  document.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (!(cell instanceof HTMLElement) || !cell.classList.contains("rh-cell")) { return; }
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    var move = moves[event.key];
    if (!move) { return; }
    event.preventDefault();
    var td = cell.closest("td");
    var tr = td.parentElement;
    var rows = Array.prototype.filter.call(tr.parentElement.children, function (r) {
      return r.querySelector("button.rh-cell");
    });
    var r = rows.indexOf(tr) + move[0];
    var c = Array.prototype.indexOf.call(tr.children, td) + move[1];
    if (r < 0 || r >= rows.length) { return; }
    var target = rows[r].children[c];
    var button = target && target.querySelector("button.rh-cell");
    if (button) {
      picker(cell).querySelectorAll(".rh-cell").forEach(function (b) { b.tabIndex = -1; });
      button.tabIndex = 0;
      button.focus();
    }
  });

  function addRow() {
    var template = document.getElementById("risk-empty-form");
    var total = document.getElementById("id_risk-TOTAL_FORMS");
    var rows = document.getElementById("risk-rows");
    if (!template || !total || !rows) { return; }
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index))
      .replace("Risk (new)", "Risk " + (index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = rows.lastElementChild;
    if (window.htmx) { window.htmx.process(added); }
    var title = added.querySelector("input[name$='-title']");
    if (title) { title.focus(); }
  }
})();
