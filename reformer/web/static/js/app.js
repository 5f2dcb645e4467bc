/* Small behaviours shared by every page (no build step, no framework).
   - toasts: dismiss buttons, auto-dismiss after a while (errors stay until dismissed)
   - dialogs: [data-open-dialog="id"] opens <dialog id="id">, [data-close-dialog] closes,
     a dialog swapped in by htmx with [data-open-on-load] opens itself
   - htmx: error responses that carry a toast (X-Reformer-Toast) are shown; other failed
     requests and network errors get a generic toast
   - [data-history-back] buttons, [data-detect-time-zone] selects
   - the staff menu, one sideways-scrolling row on a phone: the current page scrolled into
     view, the edge fade dropped once the row is scrolled to its end */
(function () {
  "use strict";

  var TOAST_MS = 6000;

  function toastRegion() { return document.getElementById("toasts"); }

  function dismiss(toast) {
    if (!toast || toast.hasAttribute("data-leaving")) return;
    toast.setAttribute("data-leaving", "");
    setTimeout(function () { toast.remove(); }, 200);
  }

  function armToasts(root) {
    (root || document).querySelectorAll("[data-toast]:not([data-armed])").forEach(function (toast) {
      toast.setAttribute("data-armed", "");
      if (!toast.classList.contains("toast--error")) {
        setTimeout(function () { dismiss(toast); }, TOAST_MS);
      }
    });
  }

  function showToast(message, level) {
    var region = toastRegion();
    if (!region) return;
    var toast = document.createElement("div");
    toast.className = "toast toast--" + (level || "info");
    toast.setAttribute("data-toast", "");
    if (level === "error") toast.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.className = "toast__message";
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("aria-label", "Dismiss");
    close.setAttribute("data-dismiss-toast", "");
    close.textContent = "\u00d7";
    toast.append(text, close);
    region.append(toast);
    armToasts(region);
  }
  window.reformerToast = showToast;

  document.addEventListener("click", function (evt) {
    var target = evt.target.closest("[data-dismiss-toast], [data-open-dialog], [data-close-dialog], [data-history-back]");
    if (!target) return;
    if (target.hasAttribute("data-dismiss-toast")) {
      dismiss(target.closest("[data-toast]"));
    } else if (target.hasAttribute("data-open-dialog")) {
      var dialog = document.getElementById(target.getAttribute("data-open-dialog"));
      if (dialog && !dialog.open) dialog.showModal();
    } else if (target.hasAttribute("data-close-dialog")) {
      var open = target.closest("dialog");
      if (open) open.close();
    } else if (target.hasAttribute("data-history-back")) {
      history.back();
    }
  });

  // Close the account menu (a <details>) on Escape or a click elsewhere.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (evt) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(evt.target)) menu.removeAttribute("open");
    });
  });

  function detectTimeZone(root) {
    (root || document).querySelectorAll("select[data-detect-time-zone]").forEach(function (select) {
      if (select.dataset.detected) return;
      select.dataset.detected = "1";
      var zone;
      try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
      var form = select.form;
      var untouched = !form || !form.querySelector("[aria-invalid]");
      if (zone && untouched && select.querySelector('option[value="' + zone + '"]')) select.value = zone;
    });
  }

  function onLoad(root) {
    armToasts(root);
    detectTimeZone(root);
    var scope = root || document;
    var dialogs = Array.prototype.slice.call(scope.querySelectorAll("dialog[data-open-on-load]"));
    // The swapped-in element may be the dialog itself.
    if (scope.matches && scope.matches("dialog[data-open-on-load]")) dialogs.push(scope);
    dialogs.forEach(function (dialog) {
      if (!dialog.open) dialog.showModal();
    });
  }

  function armStaffNav() {
    var nav = document.querySelector(".site-nav--staff");
    if (!nav || nav.scrollWidth <= nav.clientWidth) return;
    var current = nav.querySelector('[aria-current="page"]');
    if (current) {
      var offset = current.getBoundingClientRect().left - nav.getBoundingClientRect().left;
      nav.scrollLeft += offset - nav.clientWidth / 3;
    }
    function markEnd() {
      nav.toggleAttribute("data-scrolled-end", nav.scrollLeft + nav.clientWidth >= nav.scrollWidth - 2);
    }
    markEnd();
    nav.addEventListener("scroll", markEnd, { passive: true });
  }

  document.addEventListener("DOMContentLoaded", function () { onLoad(document); armStaffNav(); });

  document.addEventListener("htmx:load", function (evt) { onLoad(evt.detail.elt); });

  // A refused request answered with a toast (web/toasts.py toast_response): process it.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.getResponseHeader("X-Reformer-Toast")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.getResponseHeader("X-Reformer-Toast")) return;
    showToast("Something went wrong (" + (xhr ? xhr.status : "?") + "). Please try again.", "error");
  });
  // A plain form that asks first (data-confirm): no inline handlers under the CSP.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) evt.preventDefault();
  });
  // A select that submits its form when changed (data-submit-on-change), and a print button
  // (data-print): no inline handlers under the CSP.
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el && el.hasAttribute && el.hasAttribute("data-submit-on-change") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (evt) {
    var el = evt.target && evt.target.closest && evt.target.closest("[data-print]");
    if (el) window.print();
  });
  document.addEventListener("htmx:sendError", function () {
    // Offline, the app's banner says so once (pwa/app.js); no toast per failed request.
    if (!navigator.onLine) return;
    showToast("Could not reach the server. Check your connection and try again.", "error");
  });
})();
