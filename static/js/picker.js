// Asset picker (riskhub/inventory/picker.py): a ticked match joins the chosen list, so a
// new search does not drop it; Enter in the search box searches instead of submitting
// the form; the arrow keys move between the box and the matches.
(function () {
  "use strict";

  function chosenList(picker) { return picker.querySelector(".rh-picker-chosen"); }

  function chosenValues(picker) {
    var values = {};
    chosenList(picker).querySelectorAll("input").forEach(function (input) {
      if (input.checked) { values[input.value] = true; }
    });
    return values;
  }

  function hideChosen(picker) {
    var values = chosenValues(picker);
    picker.querySelectorAll(".rh-picker-results input").forEach(function (input) {
      var item = input.closest("li");
      if (item) { item.hidden = Boolean(values[input.value]); }
    });
  }

  function choose(picker, input) {
    var item = input.closest("li");
    if (!item) { return; }
    var list = chosenList(picker);
    if (picker.dataset.multiple !== "1") {
      // One asset: the new choice replaces the previous one.
      list.querySelectorAll("li").forEach(function (li) {
        var box = li.querySelector("input");
        if (box && box.value !== "") { li.remove(); } else if (box) { box.checked = false; }
      });
    }
    list.appendChild(item);
    input.checked = true;
    input.focus();
  }

  function setup(picker) {
    var search = picker.querySelector("input[type=search]");
    var results = picker.querySelector(".rh-picker-results");
    if (!search || !results) { return; }
    results.addEventListener("change", function (event) {
      var input = event.target;
      if (input.matches("input") && input.checked) { choose(picker, input); }
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        search.dispatchEvent(new Event("search"));
      } else if (event.key === "ArrowDown") {
        var first = results.querySelector("li:not([hidden]) input");
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
    results.addEventListener("keydown", function (event) {
      var inputs = Array.prototype.slice.call(results.querySelectorAll("li:not([hidden]) input"));
      var index = inputs.indexOf(event.target);
      if (index < 0) { return; }
      if (event.key === "ArrowDown" && index + 1 < inputs.length) {
        event.preventDefault();
        inputs[index + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (index > 0 ? inputs[index - 1] : search).focus();
      } else if (event.key === "Enter") {
        event.preventDefault();
        event.target.click();
      }
    });
    results.addEventListener("htmx:afterSwap", function () { hideChosen(picker); });
    picker.addEventListener("htmx:afterSwap", function () { hideChosen(picker); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-picker]").forEach(setup);
  });
}());
