/* Push notifications in the profile (PHX-26): says what this browser can do (unsupported,
   blocked, on), asks for permission only when the person presses the button (never on its
   own, so no repeated prompts), subscribes with our VAPID key and stores the subscription.
   A removed device that is this browser is unsubscribed too. */
(function () {
  "use strict";

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("data-hx-headers"))["X-CSRFToken"]; } catch (error) { return ""; }
  }

  function state(panel, name, text) {
    panel.querySelectorAll("[data-push-state]").forEach(function (el) {
      el.hidden = el.getAttribute("data-push-state") !== name;
      if (!el.hidden && text) el.textContent = text;
    });
  }

  function store(panel, subscription) {
    return fetch(panel.getAttribute("data-subscribe-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(subscription.toJSON())
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (data) { throw new Error(data.error || "Not saved."); });
      }
      return response.json();
    });
  }

  function refresh(panel) {
    if (window.htmx) {
      window.htmx.ajax("GET", panel.getAttribute("data-devices-url"), { target: "#my-devices", swap: "outerHTML" });
    }
  }

  function enable(panel, button) {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        state(panel, permission === "denied" ? "denied" : "unsupported");
        button.hidden = permission === "denied";
        button.disabled = false;
        return null;
      }
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(panel.getAttribute("data-public-key"))
        });
      }).then(function (subscription) { return store(panel, subscription); })
        .then(function () { refresh(panel); });
    }).catch(function (error) {
      button.disabled = false;
      state(panel, "failed", "Notifications could not be turned on here: " + error.message +
        " Reminders keep coming by email.");
    });
  }

  function setUp(panel) {
    if (!panel || panel.hasAttribute("data-armed")) return;
    panel.setAttribute("data-armed", "");
    var button = panel.querySelector("[data-push-enable]");
    if (!supported()) { state(panel, "unsupported"); return; }
    if (Notification.permission === "denied") { state(panel, "denied"); return; }
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      var mine = subscription && panel.querySelector('[data-push-device="' + CSS.escape(subscription.endpoint) + '"]');
      if (mine) {
        state(panel, "subscribed");
        var marker = mine.querySelector("[data-push-this]");
        if (marker) { marker.hidden = false; marker.classList.remove("visually-hidden"); }
        return;
      }
      // Not on the list (never, or removed here): the person chooses to turn it on.
      button.hidden = false;
      button.onclick = function () { enable(panel, button); };
    }).catch(function () { button.hidden = false; button.onclick = function () { enable(panel, button); }; });
  }

  document.addEventListener("htmx:load", function (evt) {
    var root = evt.detail && evt.detail.elt;
    if (!root || !root.querySelector) return;
    setUp(root.matches && root.matches("[data-push-panel]") ? root : root.querySelector("[data-push-panel]"));
  });
  document.addEventListener("DOMContentLoaded", function () { setUp(document.querySelector("[data-push-panel]")); });
})();
