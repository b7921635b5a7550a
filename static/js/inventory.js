// Inventory pages (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  // The link form: say the link as a sentence before it is added.
  function preview() {
    var out = document.getElementById("link-preview");
    var relation = document.getElementById("id_relation");
    var direction = document.getElementById("id_direction");
    var other = document.getElementById("id_other");
    if (!out || !relation || !direction || !other) { return; }
    var me = out.dataset.asset;
    var them = other.value.trim() || "the other asset";
    var up = direction.value === "upstream" ? them : me;
    var down = direction.value === "upstream" ? me : them;
    var verb = relation.options[relation.selectedIndex].text;
    var sentence = relation.value === "part_of" ? up + " is part of " + down : down + " " + verb + " " + up;
    out.textContent = "This will record: " + sentence + ".";
  }
  document.addEventListener("DOMContentLoaded", function () {
    ["id_relation", "id_direction", "id_other"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) {
        el.addEventListener("change", preview);
        el.addEventListener("input", preview);
      }
    });
    preview();
  });
})();
