/* The client's pages: small behaviours on top of htmx and the shell's app.js / live.js.
   - browse filters: picking a date selects "On a date"; another range clears the date;
     the result count is announced once new results are in
   - dialogs loaded into #dialog-slot: Tab wraps around inside them, focus returns to the control that opened them (found
     again by id if a live update replaced it) and the closed dialog is removed;
     the server closes them with the "reformer:close-dialog" event
   - refusals the booking and cancel dialogs show in place (402/409/503, [data-swap-errors])
   - a booking that takes longer than its timeout says so and can be tried again
   - when a class card is updated live, an open room map of that class refreshes itself
   - the date strip keeps its chosen day in view; after a day or the Filters sheet changes
     the results, focus goes back to the chosen day or the Filters button */
(function () {
  "use strict";

  // Capture phase: runs before htmx reads the form on the same change event.
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (!el.matches || !el.form) return;
    if (el.matches("[data-date-input]")) {
      var when = el.form.querySelector("[data-when-select]");
      if (when) when.value = el.value ? "date" : "today";
    } else if (el.matches("[data-when-select]") && el.value !== "date") {
      var date = el.form.querySelector("[data-date-input]");
      if (date) date.value = "";
    }
  }, true);

  function announce(text) {
    var region = document.getElementById("browse-status");
    if (region) region.textContent = text;
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (elt && elt.getAttribute && elt.getAttribute("aria-haspopup") === "dialog") {
      opener = { id: elt.id, el: elt };
    }
    if (evt.detail.target && evt.detail.target.id === "browse") announce("Loading classes…");
  });

  // --- Date strip and Filters sheet ---------------------------------------------------------
  var browseSource = null; // what asked for the new results: "chip" or "filters"

  function showChosenDay() {
    var strip = document.querySelector(".date-strip");
    var chosen = strip && strip.querySelector("[aria-current='date']");
    if (!chosen) return null;
    // Scroll the strip only (scrollIntoView would move the page as well).
    var left = chosen.offsetLeft - (strip.clientWidth - chosen.offsetWidth) / 2;
    strip.scrollLeft = Math.max(0, left);
    return chosen;
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (!elt || !elt.closest) return;
    if (elt.closest(".date-strip")) browseSource = "chip";
    else if (elt.closest("#filters-sheet")) {
      browseSource = "filters";
      // Close the sheet at once: the client watches the results load behind it.
      var sheet = document.getElementById("filters-sheet");
      if (sheet && sheet.open) sheet.close();
    }
  });

  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "browse") {
      var summary = document.getElementById("browse-summary");
      announce(summary ? summary.textContent.replace(/\s+/g, " ").trim() : "No classes found.");
      var chosen = showChosenDay();
      if (browseSource === "chip" && chosen) chosen.focus();
      if (browseSource === "filters") {
        var button = document.getElementById("open-filters");
        if (button) button.focus();
      }
      browseSource = null;
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showChosenDay);
  } else {
    showChosenDay();
  }

  // --- Dialogs -----------------------------------------------------------------------------
  var opener = null;

  function restoreFocus() {
    var target = null;
    if (opener) {
      target = (opener.id && document.getElementById(opener.id)) || (opener.el.isConnected ? opener.el : null);
    }
    if (!target || target.disabled) target = document.getElementById("main");
    opener = null;
    if (target) target.focus();
  }

  // "close" does not bubble: listen in the capture phase.
  document.addEventListener("close", function (evt) {
    var dialog = evt.target;
    if (!(dialog instanceof HTMLDialogElement) || !dialog.closest("#dialog-slot")) return;
    setTimeout(function () {
      if (!dialog.open) dialog.remove();
      restoreFocus();
    }, 0);
  }, true);

  // A modal <dialog> makes the page inert, but Tab can still leave it for the browser's own
  // controls: wrap around inside instead, so keyboard users stay in the dialog.
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), " +
    "textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Tab") return;
    var dialog = document.querySelector("#dialog-slot dialog[open]");
    if (!dialog) return;
    var items = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (el) {
      return el.offsetParent !== null || el === document.activeElement;
    });
    // Only the checked radio of a group is a tab stop.
    items = items.filter(function (el) {
      return el.type !== "radio" || el.checked || !dialog.querySelector("input[type=radio][name='" + el.name + "']:checked");
    });
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    var active = document.activeElement;
    if (evt.shiftKey && (active === first || !dialog.contains(active))) {
      evt.preventDefault();
      last.focus();
    } else if (!evt.shiftKey && (active === last || !dialog.contains(active))) {
      evt.preventDefault();
      first.focus();
    }
  });

  document.addEventListener("reformer:close-dialog", function () {
    document.querySelectorAll("#dialog-slot dialog[open]").forEach(function (d) { d.close(); });
  });

  // --- Refusals shown in place -------------------------------------------------------------
  var SHOWN_IN_PLACE = [402, 409, 503];
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (SHOWN_IN_PLACE.indexOf(evt.detail.xhr.status) >= 0 && target && target.closest("[data-swap-errors]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  function statusOf(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    return form ? form.querySelector("[data-book-status]") : null;
  }

  document.addEventListener("htmx:timeout", function (evt) {
    var status = statusOf(evt.detail.elt);
    if (!status) return;
    status.setAttribute("role", "alert");
    status.className = "book__status alert alert--error";
    status.textContent = "The booking timed out and was not completed. Please try again.";
  });

  document.addEventListener("htmx:sendError", function (evt) {
    var status = statusOf(evt.detail.elt);
    if (!status) return;
    status.setAttribute("role", "alert");
    status.className = "book__status alert alert--error";
    status.textContent = "We couldn't reach the studio. Check your connection and try again.";
  });

  // --- Live: refresh an open room map when its class changes --------------------------------
  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    var match = /^session-(\d+)$/.exec(evt.target && evt.target.id || "");
    if (!match) return;
    var map = document.getElementById("spot-map-" + match[1]);
    if (map && window.htmx) window.htmx.trigger(map, "spots:refresh");
  });
})();
