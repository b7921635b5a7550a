/* The dashboard's figures: Plotly figure JSON built on the server (json_script),
   drawn by the vendored plotly.js strict bundle. A click on a heatmap cell, a bar, a
   line or a date marker opens the list behind it (the point's customdata is its URL);
   the links under each chart and the data tables carry the same links for keyboards.
   Below NARROW pixels a figure's narrow variant (layout.meta.narrow, written by
   riskhub/dashboard/charts.py) replaces the layout keys and trace keys it names. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-figures");
  if (!source || !window.Plotly) {
    return;
  }
  var NARROW = 576;
  var figures = JSON.parse(source.textContent);
  var config = { displayModeBar: false, responsive: true };
  var drawn = [];

  function variant(element, figure) {
    var narrow = figure.layout && figure.layout.meta && figure.layout.meta.narrow;
    if (!narrow || element.clientWidth >= NARROW) {
      return figure;
    }
    var layout = Object.assign({}, figure.layout, narrow.layout || {});
    var data = figure.data.map(function (trace, index) {
      return Object.assign({}, trace, (narrow.data || [])[index] || {});
    });
    return { data: data, layout: layout };
  }

  function isNarrow(element) {
    return element.clientWidth < NARROW;
  }

  function draw(element, figure) {
    var shown = variant(element, figure);
    element.setAttribute("data-narrow", isNarrow(element) ? "1" : "0");
    return window.Plotly.react(element, shown.data, shown.layout, config);
  }

  function urlOf(point) {
    var url = point.customdata;
    if (typeof url !== "string" && Array.isArray(point.pointNumber)) {
      var rows = point.data.customdata || [];
      url = (rows[point.pointNumber[0]] || [])[point.pointNumber[1]];
    }
    return typeof url === "string" && url.charAt(0) === "/" ? url : "";
  }

  function drillDown(element) {
    element.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var url = point ? urlOf(point) : "";
      if (url) {
        window.location.assign(url);
      }
    });
  }

  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = figures[element.getAttribute("data-figure")];
    if (figure) {
      var entry = { element: element, current: function () { return figure; } };
      drawn.push(entry);
      draw(element, figure).then(function () {
        drillDown(element);
      });
    }
  });

  document.querySelectorAll("[data-heatmap]").forEach(function (element) {
    var index = Number(element.getAttribute("data-heatmap"));
    var entry = figures.heatmaps[index];
    var card = element.closest("[data-heatmap-card]");
    if (!entry || !card) {
      return;
    }
    var basis = "residual";
    function show(chosen) {
      basis = chosen;
      card.querySelectorAll("[data-basis-table]").forEach(function (table) {
        table.hidden = table.getAttribute("data-basis-table") !== chosen;
      });
      return draw(element, entry[chosen]);
    }
    drawn.push({ element: element, current: function () { return entry[basis]; } });
    var checked = card.querySelector("input[data-basis]:checked");
    show(checked ? checked.value : "residual").then(function () {
      drillDown(element);
    });
    card.querySelectorAll("input[data-basis]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked) {
          show(radio.value);
        }
      });
    });
  });

  // Turning a phone or resizing a window across the breakpoint swaps the variant.
  var pending = 0;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      drawn.forEach(function (entry) {
        var was = entry.element.getAttribute("data-narrow") === "1";
        if (was !== isNarrow(entry.element)) {
          draw(entry.element, entry.current());
        }
      });
    }, 150);
  });
})();
