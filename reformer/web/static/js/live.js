/* Live updates: connection status and re-sync for the htmx ws extension.

   The extension reconnects by itself after abnormal closes (1006, 1011-1013); this file
   - shows "Reconnecting…" (announced politely) while the socket is down,
   - also reconnects after other closes (e.g. 1001 when a server restarts), with backoff,
     but never after a refusal by the server (codes 4000+: signed out, no membership),
   - after a drop, fires `live:resync` on <body> once the socket is back: lists refetch
     themselves with  data-hx-trigger="live:resync from:body". */
(function () {
  "use strict";

  var dropped = false;
  var unloading = false;
  var retries = 0;
  var retryTimer = null;
  var hideTimer = null;
  var SELF_RECONNECTING = [1006, 1011, 1012, 1013];

  function status() { return document.getElementById("live-status"); }

  function show(text, state) {
    var el = status();
    if (!el) return;
    clearTimeout(hideTimer);
    el.textContent = text;
    el.setAttribute("data-state", state);
    el.hidden = false;
  }

  function hideSoon() {
    var el = status();
    if (!el) return;
    hideTimer = setTimeout(function () { el.hidden = true; el.textContent = ""; }, 2500);
  }

  window.addEventListener("pagehide", function () { unloading = true; });

  document.addEventListener("htmx:wsClose", function (evt) {
    if (unloading) return;
    var code = evt.detail && evt.detail.event ? evt.detail.event.code : 1006;
    if (code >= 4000) return;  // refused: reconnecting would be refused again
    dropped = true;
    show("Reconnecting to live updates…", "offline");
    if (SELF_RECONNECTING.indexOf(code) < 0 && evt.detail.socketWrapper) {
      var wrapper = evt.detail.socketWrapper;
      var delay = Math.min(30000, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
      retries += 1;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(function () { wrapper.reconnect(); }, delay);
    }
  });

  document.addEventListener("htmx:wsError", function () {
    if (!unloading) show("Reconnecting to live updates…", "offline");
  });

  document.addEventListener("htmx:wsOpen", function () {
    retries = 0;
    clearTimeout(retryTimer);
    if (!dropped) return;
    dropped = false;
    show("Live updates are back.", "online");
    hideSoon();
    htmx.trigger(document.body, "live:resync");
  });
})();
