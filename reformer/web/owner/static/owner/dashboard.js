/* Owner dashboard: draws the "Bookings over time" chart with ECharts and refreshes the
   metric panels when a live booking event arrives.

   - The chart's figures come with the page (#owner-chart-data, and the table beside it for
     screen readers and anyone without the canvas). The chart library is large (600 KB,
     a few hundred ms of a phone's CPU to start), so it is fetched only when the chart comes
     near the screen, and the drawing runs in small steps when the browser is idle
     (evaluate the library, then create the chart, then draw): the cards above it and a
     person's taps never wait for it. The chart's box has its height in CSS: nothing moves.
   - The chart panel (#chart-panel) is swapped by htmx (interval toggles, live refresh);
     #owner-chart is data-hx-preserve'd so the ECharts instance survives and new data
     animates the line instead of redrawing it.
   - The server's live renderer sends an out-of-band #owner-live-signal element; when one
     arrives we fire `owner:refresh` on <body>, which the panels listen for (data-hx-trigger). */
(function () {
  "use strict";

  var chart = null;
  var library = null; // "loading" | "ready" | "failed" once asked for
  var waiting = []; // callbacks for when the library is ready

  function readData() {
    var script = document.getElementById("owner-chart-data");
    if (!script) return null;
    try { return JSON.parse(script.textContent); } catch (e) { return null; }
  }

  function brandColour() {
    var value = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim();
    return value || "#3b6e8f";
  }

  function whenIdle(callback) {
    if (window.requestIdleCallback) window.requestIdleCallback(callback, { timeout: 1500 });
    else window.setTimeout(callback, 50);
  }

  function loadLibrary(callback) {
    if (typeof echarts !== "undefined") { callback(); return; }
    waiting.push(callback);
    if (library) return;
    var holder = document.querySelector("[data-chart-library]");
    if (!holder) return;
    library = "loading";
    var script = document.createElement("script");
    script.src = holder.getAttribute("data-chart-library");
    script.async = true;
    script.onload = function () {
      library = "ready";
      var callbacks = waiting;
      waiting = [];
      callbacks.forEach(function (run) { whenIdle(run); });
    };
    script.onerror = function () { library = "failed"; }; // the table still has the figures
    document.head.appendChild(script);
  }

  // Facts of the figures on the chart's element (what is shown, its total): set as soon as
  // the figures arrive, drawn or not.
  function annotate(element, data) {
    var counts = data.counts || [];
    element.dataset.interval = data.interval;
    element.dataset.lastValue = counts.length ? String(counts[counts.length - 1]) : "0";
    element.dataset.total = String(counts.reduce(function (a, b) { return a + b; }, 0));
  }

  function options(data) {
    // One bucket far above the rest (the server decides: data.cap) is drawn at the top of
    // the scale with its real figure, instead of flattening every other bucket.
    var cap = data.cap || null;
    var values = (data.counts || []).map(function (count) {
      if (!cap || count <= cap) return count;
      return { value: cap, actual: count, symbol: "triangle", symbolSize: 10,
               label: { show: true, position: "top", formatter: String(count) } };
    });
    // Classes still to come (from data.upcoming_from) are a dashed line of their own,
    // joined to the last held point: their places are only booked so far.
    var split = Math.min(data.upcoming_from == null ? values.length : data.upcoming_from, values.length);
    var held = values.map(function (v, n) { return n < split ? v : "-"; });
    var ahead = values.map(function (v, n) { return n >= split - 1 && split < values.length ? v : "-"; });
    if (split === 0) ahead = values.slice();
    return {
      animationDurationUpdate: 500,
      grid: { left: 40, right: 16, top: 24, bottom: 32, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var item = items[0];
          var raw = data.counts[item.dataIndex];
          var soFar = item.dataIndex >= split ? " booked so far" : "";
          return item.axisValueLabel + "<br>" + raw + " booking" + (raw === 1 ? "" : "s") + soFar;
        }
      },
      xAxis: { type: "category", data: data.labels, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1, max: cap || null },
      series: [{
        name: "Bookings",
        type: "line",
        smooth: false,
        symbolSize: 6,
        data: held,
        itemStyle: { color: brandColour() },
        areaStyle: { opacity: 0.12 }
      }, {
        name: "Booked so far",
        type: "line",
        smooth: false,
        symbolSize: 5,
        data: ahead,
        itemStyle: { color: brandColour() },
        lineStyle: { type: "dashed", width: 2 },
        areaStyle: { opacity: 0.05 }
      }]
    };
  }

  // Draws the current figures (called once the library has run, in an idle moment): the
  // chart is created in one step and drawn in the next, each its own short task.
  function paint() {
    var element = document.getElementById("owner-chart");
    var data = readData();
    if (!element || !data) return;
    if (!chart || chart.getDom() !== element) {
      if (chart) chart.dispose();
      chart = echarts.init(element, null, { renderer: "canvas" });
      window.ownerChart = chart;
      whenIdle(paint);
      return;
    }
    chart.setOption(options(data));
    element.dataset.drawn = "true";
  }

  var observer = null;
  var observed = null;

  function draw() {
    var element = document.getElementById("owner-chart");
    var data = readData();
    if (!element || !data) return;
    annotate(element, data);
    if (chart && chart.getDom() === element) { paint(); return; } // new figures: animate
    if (library === "ready" || !("IntersectionObserver" in window)) { loadLibrary(paint); return; }
    if (observed === element) return; // already waiting for it to come near the screen
    if (observer) observer.disconnect();
    observed = element;
    observer = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      observer.disconnect();
      loadLibrary(paint);
    }, { rootMargin: "400px 0px" });
    observer.observe(element);
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
  // A chart panel that timed out arrives later by htmx: draw once it is in.
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.id === "chart-panel") draw();
  });
})();
