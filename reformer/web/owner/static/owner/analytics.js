/* Analytics page: draws each panel's chart with ECharts when htmx brings the panel in,
   opens the rows behind a clicked point (drill-down), and refreshes the revenue and
   utilisation panels when a live booking or payment event arrives. */
(function () {
  "use strict";

  var charts = {};
  var BANDS = [
    { gte: 80, color: "#2e7d4f", label: "80%+" },
    { gte: 50, lt: 80, color: "#e0b000", label: "50–80%" },
    { lt: 50, color: "#c0392b", label: "under 50%" }
  ];

  function brand() {
    return getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#3b6e8f";
  }

  function data(name) {
    var script = document.getElementById("chart-data-" + name);
    if (!script) return null;
    try { return JSON.parse(script.textContent); } catch (e) { return null; }
  }

  function drill(name, params) {
    var d = data(name);
    var slot = document.getElementById("drill-" + name);
    if (!d || !slot) return;
    var url = d.drill + (d.drill.indexOf("?") === -1 ? "?" : "&") + new URLSearchParams(params).toString();
    htmx.ajax("GET", url, { target: slot, swap: "innerHTML" }).then(function () {
      var title = slot.querySelector(".analytics-drill__title");
      if (title) title.focus();
    });
  }

  // Every name under its bar, broken over lines to fit (ECharts would drop the ones that
  // overlap: "Harbour Pilates Shoreditch" went missing between its neighbours).
  function everyName(names, width) {
    return { interval: 0, overflow: "break", width: Math.max(56, (width - 110) / Math.max(names.length, 1) - 8) };
  }

  var toolbox = { feature: { saveAsImage: { title: "Save as PNG", pixelRatio: 2 } }, right: 8 };

  var builders = {
    revenue: function (d) {
      var stacked = d.series.length > 1;
      return {
        color: [brand(), "#d68039", "#569c60", "#a8548c", "#c7a12a", "#6070ba"],
        tooltip: { trigger: "axis", valueFormatter: function (v) { return Number(v).toFixed(2); } },
        legend: { top: 0, type: "scroll", right: 90 },
        toolbox: toolbox,
        grid: { left: 48, right: 16, top: 36, bottom: 64 },
        dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value" },
        series: d.series.map(function (s) {
          return { name: s.name, type: "bar", stack: stacked ? "revenue" : undefined, data: s.data, emphasis: { focus: "series" } };
        }).concat(d.compare ? [{
          name: d.compare.name, type: "line", data: d.compare.data, symbol: "none",
          lineStyle: { type: "dashed", width: 2, color: "#8a93a3" }, itemStyle: { color: "#8a93a3" }
        }] : [])
      };
    },
    utilisation: function (d, width) {
      // On a narrow chart the weekdays shorten and the cells lose their labels (a cell
      // under ~34 px cannot hold "100%"); the colours and the tooltip still tell.
      var narrow = width < 600;
      var left = narrow ? 44 : 90;
      var cell = (width - left - 16) / Math.max(d.hours.length, 1);
      return {
        tooltip: {
          formatter: function (p) {
            var v = p.data;
            return d.weekdays[v[1]] + " " + d.hours[v[0]] + "<br>" + v[2] + "% full (" + v[3] + " of " + v[4] + " places, " + v[5] + " classes)";
          }
        },
        toolbox: toolbox,
        grid: { left: left, right: 16, top: 30, bottom: 56 },
        xAxis: { type: "category", data: d.hours, splitArea: { show: true } },
        yAxis: {
          type: "category", data: d.weekdays, inverse: true, splitArea: { show: true },
          axisLabel: { formatter: function (v) { return narrow ? v.slice(0, 3) : v; } }
        },
        visualMap: { type: "piecewise", dimension: 2, pieces: BANDS, orient: "horizontal", left: "center", bottom: 0 },
        series: [{ type: "heatmap", data: d.cells, label: { show: cell >= 34, formatter: function (p) { return p.data[2] + "%"; }, fontSize: 10 } }]
      };
    },
    instructors: function (d, width) {
      return {
        color: [brand(), "#569c60", "#c0392b"],
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
        legend: { top: 0 },
        toolbox: toolbox,
        grid: { left: 48, right: 16, top: 36, bottom: 40, containLabel: true },
        xAxis: { type: "category", data: d.names, axisLabel: everyName(d.names, width) },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: [
          { name: "Fill rate", type: "bar", data: d.fill },
          { name: "Client retention", type: "bar", data: d.retention },
          { name: "No-show rate", type: "bar", data: d.no_show }
        ]
      };
    },
    studios: function (d, width) {
      return {
        color: [brand(), "#569c60"],
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        toolbox: toolbox,
        grid: { left: 16, right: 16, top: 36, bottom: 16, containLabel: true },
        xAxis: { type: "category", data: d.names, axisLabel: everyName(d.names, width) },
        yAxis: [{ type: "value", name: "Bookings" }, { type: "value", name: "Utilisation", max: 100, axisLabel: { formatter: "{value}%" } }],
        series: [
          { name: "Bookings", type: "bar", data: d.bookings },
          { name: "Utilisation", type: "line", yAxisIndex: 1, data: d.utilisation }
        ]
      };
    },
    conversion: function (d) {
      return {
        color: [brand()],
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
        toolbox: toolbox,
        grid: { left: 16, right: 24, top: 24, bottom: 16, containLabel: true },
        xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        yAxis: { type: "category", data: d.names, inverse: true },
        series: [{ name: "Bought again", type: "bar", data: d.rates, label: { show: true, position: "right", formatter: "{c}%" } }]
      };
    }
  };

  function draw(root) {
    if (typeof echarts === "undefined") {
      // ECharts loads async (the panels must not wait for it): draw once it has run.
      var script = document.querySelector("script[data-echarts]");
      if (script) script.addEventListener("load", function () { draw(root); }, { once: true });
      return;
    }
    (root || document).querySelectorAll("[data-chart]").forEach(function (element) {
      var name = element.dataset.chart;
      var d = data(name);
      if (!d || !builders[name]) return;
      if (charts[name] && charts[name].getDom() !== element) { charts[name].dispose(); }
      var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: "canvas" });
      charts[name] = chart;
      chart.setOption(builders[name](d, element.clientWidth), true);
      chart.off("click");
      chart.on("click", function (p) {
        if (name === "revenue") drill("revenue", { day: d.days[p.dataIndex], name: p.seriesName || "" });
        if (name === "utilisation") {
          var hour = parseInt(d.hours[p.data[0]], 10);
          drill("utilisation", { weekday: p.data[1], hour: hour });
        }
      });
      element.dataset.drawn = "1";
    });
  }

  function onReady() {
    document.body.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
    var redraw = null;
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      // Options that depend on the width (the heatmap's labels) once the resizing settles.
      clearTimeout(redraw);
      redraw = setTimeout(function () { draw(document); }, 200);
    });
    document.body.addEventListener("click", function (event) {
      var close = event.target.closest("[data-drill-close]");
      if (close) close.closest(".analytics-drill-slot").innerHTML = "";
    });
    document.body.addEventListener("htmx:wsAfterMessage", function (event) {
      var message = event.detail && event.detail.message;
      if (typeof message === "string" && message.indexOf("owner-live-signal") !== -1) {
        htmx.trigger(document.body, "analytics:refresh");
      }
    });
    var range = document.querySelector("[data-owner-range]");
    document.querySelectorAll("[data-owner-custom]").forEach(function (input) {
      input.addEventListener("change", function () { if (range) range.value = "custom"; });
    });
    draw(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onReady);
  else onReady();
})();
