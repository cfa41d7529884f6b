/* Dashboard charts: each <canvas data-chart="ID"> is drawn by Chart.js (served by the app) from the JSON in
   <script type="application/json" id="ID">, which the server wrote: {type, labels, datasets, money, stacked}.
   The same figures are in a table next to each chart, so nothing depends on this script running. */
(function () {
  "use strict";
  var palette = ["#0b7285", "#f08c00", "#5c940d", "#862e9c", "#c92a2a", "#495057", "#1864ab", "#e8590c"];
  var lang = document.documentElement.lang || "id";
  var money = new Intl.NumberFormat(lang === "id" ? "id-ID" : "en-GB", {notation: "compact", maximumFractionDigits: 1});
  var plain = new Intl.NumberFormat(lang === "id" ? "id-ID" : "en-GB");

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var format = function (value) { return spec.money ? "Rp " + money.format(value) : plain.format(value); };
    spec.datasets.forEach(function (dataset, index) {
      var colour = palette[index % palette.length];
      dataset.backgroundColor = colour;
      dataset.borderColor = colour;
      dataset.borderWidth = spec.type === "line" ? 2 : 0;
    });
    new Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: spec.datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: {
          x: {stacked: !!spec.stacked, ticks: spec.horizontal ? {callback: function (v) { return format(v); }} : {}},
          y: {stacked: !!spec.stacked, ticks: spec.horizontal ? {} : {callback: function (v) { return format(v); }}}
        },
        plugins: {
          tooltip: {callbacks: {label: function (item) {
            return item.dataset.label + ": " + format(item.parsed[spec.horizontal ? "x" : "y"]);
          }}}
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
