// Inventory pages (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  // The link form: the direction's second option reads as a sentence with the relation.
  function relabel() {
    var relation = document.getElementById("id_relation");
    var direction = document.getElementById("id_direction");
    if (!relation || !direction) { return; }
    var verb = relation.options[relation.selectedIndex].text;
    direction.options[0].text = direction.options[0].text.replace(/ ….*$/, "") + " … " + verb + " …";
    direction.options[1].text = "The other asset … " + verb + " … this one";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var relation = document.getElementById("id_relation");
    if (relation) {
      relabel();
      relation.addEventListener("change", relabel);
    }
  });
})();
