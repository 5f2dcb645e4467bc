// Class page: the roster comes with the page; it is fetched by htmx when sorted, resynced,
// retried, or after load when its queries timed out in the first response. When such a
// request fails (server error, 503 on timeout, or network), show "Unable to load roster"
// with a Retry button in place of the roster; the rest of the page (notes, booking a
// client) keeps working.
(function () {
  "use strict";

  function region() { return document.querySelector("[data-roster-region]"); }

  function isRosterRequest(evt) {
    const elt = evt.detail && evt.detail.elt;
    return elt && (elt.id === "roster" || elt.hasAttribute("data-roster-retry"));
  }

  function failed(evt) {
    if (!isRosterRequest(evt)) return;
    // Handled here: no generic "something went wrong" toast on top of the message.
    evt.stopPropagation();
    const roster = document.getElementById("roster");
    if (roster) roster.hidden = true;
    const error = document.getElementById("roster-error");
    error.hidden = false;
    error.querySelector("[data-roster-retry]").focus();
  }

  function loaded(evt) {
    if (!evt.detail || !evt.detail.target || evt.detail.target.id !== "roster") return;
    if (!evt.detail.successful) return;
    const error = document.getElementById("roster-error");
    if (error) error.hidden = true;
  }

  // Marking a client swaps their row (and the live update may swap it again a moment
  // later): keep the keyboard where it was. Buttons keep their ids across swaps
  // (att-<booking>-<status>); Undo disappears once undone, so focus then lands on the row's
  // first button. A whole-roster swap (sort, check in all) returns focus to the control
  // that asked for it. Focus is moved only when the focused element itself was replaced.
  let lastFocused = null;

  function remember(evt) {
    if (evt.target && evt.target.id) lastFocused = evt.target;
  }

  function restore() {
    const gone = lastFocused;
    if (!gone || document.contains(gone)) return;
    const active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    let target = document.getElementById(gone.id);
    if (!target) {
      const rowId = gone.closest(".roster-row") && gone.closest(".roster-row").id;
      const row = rowId && document.getElementById(rowId);
      target = row && (row.querySelector("button") || row);
    }
    if (target) { target.focus({ preventScroll: true }); lastFocused = target; }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = region();
    if (!root) return;
    root.addEventListener("focusin", remember);
    root.addEventListener("htmx:afterSettle", restore);
    document.addEventListener("htmx:oobAfterSwap", restore);
    document.addEventListener("htmx:wsAfterMessage", () => setTimeout(restore, 0));
    root.addEventListener("htmx:responseError", failed);
    root.addEventListener("htmx:sendError", failed);
    root.addEventListener("htmx:afterRequest", loaded);
  });
})();
