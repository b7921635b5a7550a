/* The dashboard's figures: Plotly figure JSON built on the server (json_script),
   drawn by the vendored plotly.js strict bundle. A heatmap cell click opens the risk
   register filtered to that cell; the data tables carry the same links for keyboards. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-figures");
  if (!source || !window.Plotly) {
    return;
  }
  var figures = JSON.parse(source.textContent);
  var config = { displayModeBar: false, responsive: true };

  function draw(element, figure) {
    return window.Plotly.react(element, figure.data, figure.layout, config);
  }

  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = figures[element.getAttribute("data-figure")];
    if (figure) {
      draw(element, figure);
    }
  });

  document.querySelectorAll("[data-heatmap]").forEach(function (element) {
    var index = Number(element.getAttribute("data-heatmap"));
    var entry = figures.heatmaps[index];
    var card = element.closest("[data-heatmap-card]");
    if (!entry || !card) {
      return;
    }
    function show(basis) {
      card.querySelectorAll("[data-basis-table]").forEach(function (table) {
        table.hidden = table.getAttribute("data-basis-table") !== basis;
      });
      return draw(element, entry[basis]);
    }
    var checked = card.querySelector("input[data-basis]:checked");
    show(checked ? checked.value : "residual").then(function () {
      element.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (!point) {
          return;
        }
        var url = point.customdata;
        if (typeof url !== "string" && Array.isArray(point.pointNumber)) {
          var rows = point.data.customdata || [];
          url = (rows[point.pointNumber[0]] || [])[point.pointNumber[1]];
        }
        if (typeof url === "string" && url.charAt(0) === "/") {
          window.location.assign(url);
        }
      });
    });
    card.querySelectorAll("input[data-basis]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked) {
          show(radio.value);
        }
      });
    });
  });
})();
