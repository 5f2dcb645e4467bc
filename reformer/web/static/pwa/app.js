/* The installable app on every page (PHX-26): registers the service worker, offers the
   update ("New version available: Reload") and the install (the browser's prompt, or the
   iOS steps), shows when the device is offline and what still works, queues attendance
   marks made offline and reports how they synced. No inline script: CSP allows 'self'. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="reformer-app"]');
  if (!meta) return;
  var VERSION = meta.content;
  var USER = meta.getAttribute("data-user") || "";
  var queueScript = document.querySelector('script[src*="pwa/queue.js"]');
  var WARM_EVERY_MS = 2 * 60 * 1000;
  var RETRY_KEY = "reformer-retry";
  var RESULTS_KEY = "reformer-sync-results";
  var INSTALL_DISMISSED = "reformer-install-dismissed";
  var loadedOffline = !navigator.onLine;

  function $(id) { return document.getElementById(id); }
  function toast(text, level) { if (window.reformerToast) window.reformerToast(text, level); }
  function show(el, on) { if (el) el.hidden = !on; }

  /* --- Service worker and updates --------------------------------------------------------- */

  var reloading = false;
  var askedToReload = false;
  var registration = null;

  function offerUpdate(worker) {
    var bar = $("app-update");
    if (!bar || !worker) return;
    show(bar, true);
    bar.querySelector("[data-app-reload]").onclick = function () {
      askedToReload = true;
      worker.postMessage({ type: "skip-waiting" });
    };
  }

  function follow(incoming) {
    if (!incoming) return;
    incoming.addEventListener("statechange", function () {
      if (incoming.state === "installed" && navigator.serviceWorker.controller) offerUpdate(incoming);
    });
  }

  function watch(reg) {
    if (reg.waiting && navigator.serviceWorker.controller) offerUpdate(reg.waiting);
    follow(reg.installing);
    reg.addEventListener("updatefound", function () { follow(reg.installing); });
  }

  function register() {
    if (!("serviceWorker" in navigator)) return Promise.resolve(null);
    var url = meta.getAttribute("data-service-worker") + "?v=" + encodeURIComponent(VERSION) +
      (queueScript ? "&q=" + encodeURIComponent(new URL(queueScript.src).pathname) : "");
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (askedToReload && !reloading) { reloading = true; window.location.reload(); }
    });
    navigator.serviceWorker.addEventListener("message", onWorkerMessage);
    return navigator.serviceWorker.register(url, { scope: "/" }).then(function (reg) {
      registration = reg;
      watch(reg);
      // Look for a new version when the person comes back to the app, and hourly.
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible" && navigator.onLine) reg.update().catch(function () {});
      });
      setInterval(function () { if (navigator.onLine) reg.update().catch(function () {}); }, 60 * 60 * 1000);
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      warmIfDue(reg);
      if (navigator.onLine) syncNow(reg);
      return reg;
    }).catch(function () { return null; });
  }

  function warmIfDue(reg) {
    if (!navigator.onLine || !reg.active) return;
    var last = {};
    try { last = JSON.parse(localStorage.getItem("reformer-warmed") || "{}"); } catch (error) { last = {}; }
    if (last.user === USER && Date.now() - (last.at || 0) < WARM_EVERY_MS) return;
    localStorage.setItem("reformer-warmed", JSON.stringify({ user: USER, at: Date.now() }));
    reg.active.postMessage({ type: "warm" });
  }

  /* --- Install ---------------------------------------------------------------------------- */

  var deferredPrompt = null;

  function standalone() {
    return window.matchMedia("(display-mode: standalone)").matches || window.navigator.standalone === true;
  }

  function isIos() {
    return /iphone|ipad|ipod/i.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function offerInstall() {
    var bar = $("app-install");
    if (!bar || !navigator.onLine || standalone() || localStorage.getItem(INSTALL_DISMISSED)) return;
    var button = bar.querySelector("[data-app-install]");
    var steps = bar.querySelector("[data-ios-install]");
    if (deferredPrompt) {
      show(button, true); show(steps, false); show(bar, true);
    } else if (isIos()) {
      show(button, false); show(steps, true); show(bar, true);
    }
  }

  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    deferredPrompt = event;
    offerInstall();
  });

  window.addEventListener("appinstalled", function () {
    deferredPrompt = null;
    show($("app-install"), false);
    toast("Installed. Open it from your home screen or app list.", "success");
  });

  document.addEventListener("click", function (evt) {
    var target = evt.target.closest("[data-app-install], [data-app-install-dismiss]");
    if (!target) return;
    if (target.hasAttribute("data-app-install") && deferredPrompt) {
      deferredPrompt.prompt();
      deferredPrompt.userChoice.finally(function () { deferredPrompt = null; show($("app-install"), false); });
    } else if (target.hasAttribute("data-app-install-dismiss")) {
      localStorage.setItem(INSTALL_DISMISSED, "1");
      show($("app-install"), false);
    }
  });

  /* --- Offline ---------------------------------------------------------------------------- */

  function savedAt() {
    var rendered = document.querySelector('meta[name="reformer-rendered-at"]');
    var when = rendered ? new Date(rendered.content) : null;
    if (!when || isNaN(when.getTime())) return "";
    return when.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
  }

  function needsNetwork(form) {
    return (form.method || "get").toLowerCase() === "post" || form.hasAttribute("data-needs-network");
  }

  function controlsNeedingNetwork() {
    var found = Array.prototype.slice.call(document.querySelectorAll("a[data-needs-network], button[data-needs-network]"));
    document.querySelectorAll("form").forEach(function (form) {
      if (!needsNetwork(form) || form.hasAttribute("data-offline-mark")) return;
      form.querySelectorAll("button, [type=submit]").forEach(function (button) { found.push(button); });
    });
    return found;
  }

  function markControls(offline) {
    controlsNeedingNetwork().forEach(function (button) {
        if (offline) {
          button.setAttribute("aria-disabled", "true");
          button.setAttribute("data-offline-disabled", "");
          button.title = "Needs a connection: you're offline.";
        } else if (button.hasAttribute("data-offline-disabled")) {
          button.removeAttribute("aria-disabled");
          button.removeAttribute("data-offline-disabled");
          button.removeAttribute("title");
        }
    });
  }

  function renderNetwork() {
    var offline = !navigator.onLine;
    if (offline) show($("app-install"), false);
    var bar = $("app-offline");
    if (bar) {
      // Only offline: the first date formatting loads the locale data, tens of ms of a
      // phone's CPU on every page load otherwise.
      var when = offline && bar.querySelector("[data-offline-saved]");
      var saved = when ? savedAt() : "";
      if (when) when.textContent = saved ? "Last updated " + saved + "." : "";
      show(bar, offline);
    }
    document.documentElement.toggleAttribute("data-offline", offline);
    markControls(offline);
  }

  function actionName(element, submitter) {
    var label = element.getAttribute("data-needs-network") ||
      (submitter && submitter.textContent.trim()) || "This";
    return label.replace(/\s+/g, " ");
  }

  function rememberRetry(element, submitter) {
    var retry = {
      action: actionName(element, submitter),
      page: window.location.pathname + window.location.search,
      title: document.title.split(" · ")[0]
    };
    sessionStorage.setItem(RETRY_KEY, JSON.stringify(retry));
  }

  function offerRetry() {
    var raw = sessionStorage.getItem(RETRY_KEY);
    var bar = $("app-retry");
    if (!raw || !bar || !navigator.onLine) return;
    var retry = JSON.parse(raw);
    bar.querySelector("[data-retry-text]").textContent =
      "You're back online. \u201c" + retry.action + "\u201d on " + retry.title + " was not sent.";
    var link = bar.querySelector("[data-retry-link]");
    link.href = retry.page;
    link.textContent = "Retry " + retry.action.toLowerCase();
    show(bar, true);
    link.onclick = function () { sessionStorage.removeItem(RETRY_KEY); };
    bar.querySelector("[data-retry-dismiss]").onclick = function () {
      sessionStorage.removeItem(RETRY_KEY); show(bar, false);
    };
  }

  // Capture phase: runs before htmx's own submit handler on the form.
  document.addEventListener("submit", function (evt) {
    if (navigator.onLine) return;
    var form = evt.target;
    if (form.hasAttribute("data-offline-mark")) {
      evt.preventDefault();
      evt.stopPropagation();
      queueMark(form, evt.submitter);
      return;
    }
    if (!needsNetwork(form)) return;
    evt.preventDefault();
    evt.stopPropagation();
    refuseOffline(form, evt.submitter);
  }, true);

  function refuseOffline(element, submitter) {
    rememberRetry(element, submitter);
    toast("Offline: \u201c" + actionName(element, submitter) + "\u201d needs a connection and " +
      "was not sent. We'll offer to retry when you're back online.", "error");
  }

  // Links and buttons that start something only the server can do (booking, cancelling,
  // joining a waitlist) say so offline instead of failing.
  document.addEventListener("click", function (evt) {
    if (navigator.onLine) return;
    var trigger = evt.target.closest("a[data-needs-network], button[data-needs-network]");
    if (!trigger || trigger.form) return;
    evt.preventDefault();
    evt.stopPropagation();
    refuseOffline(trigger, trigger);
  }, true);

  // Other htmx requests that change something (buttons with data-hx-post) are refused offline too.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (navigator.onLine) return;
    var verb = (evt.detail.requestConfig && evt.detail.requestConfig.verb) || "get";
    if (verb === "get") return;
    evt.preventDefault();
    refuseOffline(evt.detail.elt, null);
  });

  window.addEventListener("offline", renderNetwork);
  window.addEventListener("online", function () {
    renderNetwork();
    offerRetry();
    var queued = window.ReformerQueue ? window.ReformerQueue.count() : Promise.resolve(0);
    queued.catch(function () { return 0; }).then(function (count) {
      if (count && registration) {
        syncNow(registration);  // its results reload the page
      } else if (loadedOffline) {
        // What is on screen is a saved copy: fetch the current one (a retry offer survives)
        // once the server answers, so the reload is not served the saved copy again.
        reloadWhenReachable(10);
      } else if (registration) {
        warmIfDue(registration);
      }
    });
  });

  function reloadWhenReachable(tries) {
    fetch(meta.getAttribute("data-health") || "/healthz", { cache: "no-store" }).then(function (response) {
      if (response.ok) window.location.reload();
      else throw new Error("not yet");
    }).catch(function () {
      if (tries > 1) setTimeout(function () { reloadWhenReachable(tries - 1); }, 1000);
    });
  }

  /* --- Attendance marks queued offline ---------------------------------------------------- */

  function csrfToken() {
    var holder = document.body.getAttribute("data-hx-headers");
    try { return JSON.parse(holder)["X-CSRFToken"]; } catch (error) { return ""; }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  var LABELS = { attended: "Attended", late: "Late", no_show: "No-show" };

  function queueMark(form, submitter) {
    if (!window.ReformerQueue || !submitter || !LABELS[submitter.value]) {
      toast("You're offline: this needs a connection and was not sent.", "error");
      return;
    }
    var mark = {
      key: uuid(),
      booking: form.getAttribute("data-offline-mark"),
      name: form.getAttribute("data-offline-name"),
      status: submitter.value,
      markedAt: new Date().toISOString(),
      syncUrl: form.getAttribute("data-offline-sync"),
      csrf: csrfToken()
    };
    window.ReformerQueue.add(mark).then(function () {
      var row = form.closest("li") || form.parentElement;
      var note = row && row.querySelector("[data-offline-queued]");
      if (note) {
        note.textContent = "Saved offline: " + LABELS[mark.status] + ". Sends when you're back online.";
        show(note, true);
      }
      form.querySelectorAll("button[name=status]").forEach(function (button) {
        button.setAttribute("aria-pressed", button === submitter ? "true" : "false");
      });
      toast(mark.name + ": " + LABELS[mark.status] + " saved offline; it will sync when you're back online.", "info");
      if (registration && registration.sync) {
        registration.sync.register("attendance-marks").catch(function () {});
      }
    });
  }

  function syncNow(reg) {
    if (!window.ReformerQueue) return;
    window.ReformerQueue.count().then(function (count) {
      if (count && reg.active) reg.active.postMessage({ type: "sync-marks" });
    });
  }

  function showResults(results) {
    var box = $("app-sync");
    if (!box || !results.length) return;
    var list = box.querySelector("[data-sync-list]");
    list.textContent = "";
    var applied = 0;
    results.forEach(function (result) {
      if (result.outcome === "applied") { applied += 1; return; }
      var item = document.createElement("li");
      item.textContent = result.message || (result.name + ": not applied.");
      list.append(item);
    });
    box.querySelector("[data-sync-summary]").textContent =
      applied + " attendance mark" + (applied === 1 ? "" : "s") + " made offline synced." +
      (list.children.length ? " These were not applied:" : "");
    box.classList.toggle("alert--warning", list.children.length > 0);
    show(list, list.children.length > 0);
    show(box, true);
  }

  function onWorkerMessage(event) {
    var data = event.data || {};
    if (data.type === "marks-synced") {
      sessionStorage.setItem(RESULTS_KEY, JSON.stringify(data.results));
      // The roster as the server has it now, with the results kept across the reload.
      window.location.reload();
    } else if (data.type === "marks-blocked") {
      toast(data.count + " attendance marks are waiting: sign in again to send them.", "error");
    } else if (data.type === "offline-ready") {
      document.documentElement.setAttribute("data-offline-ready", "");
    }
  }

  function showStoredResults() {
    var raw = sessionStorage.getItem(RESULTS_KEY);
    if (!raw) return;
    sessionStorage.removeItem(RESULTS_KEY);
    try { showResults(JSON.parse(raw)); } catch (error) { /* nothing to show */ }
  }

  // The banners float over the bottom of the page: keep room for them below the content,
  // so they never cover a button.
  function keepRoomForBanners() {
    var holder = document.querySelector(".app-banners");
    if (!holder || !window.ResizeObserver) return;
    new ResizeObserver(function () {
      document.body.style.paddingBottom = holder.offsetHeight ? holder.offsetHeight + 16 + "px" : "";
    }).observe(holder);
  }

  window.reformerApp = { ready: null };

  function start() {
    keepRoomForBanners();
    renderNetwork();
    showStoredResults();
    offerRetry();
    offerInstall();
    // After the page's own loading, so installing the worker (it fetches the app shell)
    // never competes with what the person opened the page for.
    if (document.readyState === "complete") window.reformerApp.ready = register();
    else window.addEventListener("load", function () { window.reformerApp.ready = register(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
