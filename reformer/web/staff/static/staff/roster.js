// Class page: the roster arrives by htmx (hx-trigger="load"). When that request fails
// (server error or network), show "Unable to load roster" with a Retry button in place of
// the roster; the rest of the page (notes, booking a client) keeps working.
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

  document.addEventListener("DOMContentLoaded", () => {
    const root = region();
    if (!root) return;
    root.addEventListener("htmx:responseError", failed);
    root.addEventListener("htmx:sendError", failed);
    root.addEventListener("htmx:afterRequest", loaded);
  });
})();
