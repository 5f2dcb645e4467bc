/* Owner dashboard: draws the "Bookings over time" chart with ECharts and refreshes the
   metric panels when a live booking event arrives.

   - The chart panel (#chart-panel) is swapped by htmx; #owner-chart is data-hx-preserve'd so the
     ECharts instance survives and new data animates the line instead of redrawing it.
   - The server's live renderer sends an out-of-band #owner-live-signal element; when one
     arrives we fire `owner:refresh` on <body>, which the panels listen for (data-hx-trigger). */
(function () {
  "use strict";

  var chart = null;

  function readData() {
    var script = document.getElementById("owner-chart-data");
    if (!script) return null;
    try { return JSON.parse(script.textContent); } catch (e) { return null; }
  }

  function brandColour() {
    var value = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim();
    return value || "#3b6e8f";
  }

  // ECharts loads async (the panels must not wait for it): draw once it has run.
  function afterCharts(callback) {
    var script = document.querySelector("script[data-echarts]");
    if (script) script.addEventListener("load", callback, { once: true });
  }

  function draw() {
    var element = document.getElementById("owner-chart");
    var data = readData();
    if (!element || !data) return;
    if (typeof echarts === "undefined") { afterCharts(draw); return; }
    if (!chart || chart.getDom() !== element) {
      if (chart) chart.dispose();
      chart = echarts.init(element, null, { renderer: "canvas" });
      window.ownerChart = chart;
    }
    // One bucket far above the rest (the server decides: data.cap) is drawn at the top of
    // the scale with its real figure, instead of flattening every other bucket.
    var cap = data.cap || null;
    var values = (data.counts || []).map(function (count) {
      if (!cap || count <= cap) return count;
      return { value: cap, actual: count, symbol: "triangle", symbolSize: 10,
               label: { show: true, position: "top", formatter: String(count) } };
    });
    chart.setOption({
      animationDurationUpdate: 500,
      grid: { left: 40, right: 16, top: 24, bottom: 32, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var item = items[0];
          var raw = data.counts[item.dataIndex];
          return item.axisValueLabel + "<br>" + raw + " booking" + (raw === 1 ? "" : "s");
        }
      },
      xAxis: { type: "category", data: data.labels, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1, max: cap || null },
      series: [{
        name: "Bookings",
        type: "line",
        smooth: false,
        symbolSize: 6,
        data: values,
        itemStyle: { color: brandColour() },
        areaStyle: { opacity: 0.12 }
      }]
    });
    var counts = data.counts || [];
    element.dataset.interval = data.interval;
    element.dataset.lastValue = counts.length ? String(counts[counts.length - 1]) : "0";
    element.dataset.total = String(counts.reduce(function (a, b) { return a + b; }, 0));
  }

  function onReady() {
    draw();
    window.addEventListener("resize", function () { if (chart) chart.resize(); });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      if (event.target && event.target.id === "chart-panel") draw();
    });
    document.body.addEventListener("htmx:wsOpen", function () {
      document.body.dataset.ownerLive = "open";
    });
    document.body.addEventListener("htmx:wsClose", function () {
      document.body.dataset.ownerLive = "closed";
    });
    document.body.addEventListener("htmx:wsAfterMessage", function (event) {
      var message = event.detail && event.detail.message;
      if (typeof message === "string" && message.indexOf("owner-live-signal") !== -1) {
        htmx.trigger(document.body, "owner:refresh");
      }
    });
    // Custom dates only matter for the custom range: picking one selects it.
    var range = document.querySelector("[data-owner-range]");
    document.querySelectorAll("[data-owner-custom]").forEach(function (input) {
      input.addEventListener("change", function () { if (range) range.value = "custom"; });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }
  // The chart panel arrives after load (data-hx-trigger="load"): draw once it is in.
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.id === "chart-panel") draw();
  });
})();
