/* The asset page's security-tests tab: its pass-rate figure is Plotly figure JSON from
   the server (json_script). plotly.js (the vendored strict bundle) is large, so it is
   loaded only when a tab with a figure arrives; the tab may come by htmx after load. */
(function () {
  "use strict";
  var script = document.currentScript;
  var plotlySrc = script ? script.getAttribute("data-plotly") : null;
  var loading = null;

  function plotly() {
    if (window.Plotly) {
      return Promise.resolve(window.Plotly);
    }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = plotlySrc;
        tag.onload = function () { resolve(window.Plotly); };
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function drawAll(root) {
    var elements = (root || document).querySelectorAll("[data-scan-figure]:not([data-drawn])");
    if (!elements.length || !plotlySrc) {
      return;
    }
    plotly().then(function (Plotly) {
      elements.forEach(function (element) {
        var source = document.getElementById(element.getAttribute("data-scan-figure"));
        if (!source) {
          return;
        }
        var figure = JSON.parse(source.textContent);
        element.setAttribute("data-drawn", "1");
        Plotly.react(element, figure.data, figure.layout, { displayModeBar: false, responsive: true });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.body.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
  // A figure drawn in a hidden tab has no width: resize it when its tab is shown.
  document.addEventListener("shown.bs.tab", function () {
    if (window.Plotly) {
      document.querySelectorAll("[data-scan-figure][data-drawn]").forEach(function (element) {
        window.Plotly.Plots.resize(element);
      });
    }
  });
}());
