// Monthly trend charts of the dashboard: this year (solid) against last year (dashed).
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var colours = ["#1f4e8c", "#c0392b", "#2e8b57", "#d68910"];
  var charts = [];
  Chart.defaults.font.family = '"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif';
  Chart.defaults.animation = false; // prints as it shows
  document.querySelectorAll("canvas[data-trend]").forEach(function (canvas) {
    var trend = data.trends[Number(canvas.dataset.trend)];
    var datasets = [];
    trend.series.forEach(function (s, i) {
      var colour = colours[i % colours.length];
      datasets.push({ label: s.label + "（" + trend.year + "年）", data: s.current, borderColor: colour, backgroundColor: colour, tension: 0 });
      datasets.push({ label: s.label + "（上年）", data: s.previous, borderColor: colour, backgroundColor: "#fff", borderDash: [5, 4], pointRadius: 0, tension: 0 });
    });
    charts.push(new Chart(canvas, {
      type: "line",
      data: { labels: trend.months, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom", labels: { boxWidth: 24, boxHeight: 2, useBorderRadius: false } } },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    }));
  });
  // Printing lays the page out at the paper's width: redraw each chart for its column there (and
  // back for the screen afterwards), so that its text prints at its size, not scaled down.
  function redraw() { charts.forEach(function (chart) { chart.resize(); }); }
  window.matchMedia("print").addEventListener("change", redraw);
  window.addEventListener("afterprint", redraw);
})();
