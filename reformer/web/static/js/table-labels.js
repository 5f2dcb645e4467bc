// Staff tables stack into one card per row on phones (app.css, "staff screens"): each cell
// shows its column's heading from data-label. Cells that already carry a label keep it.
(function () {
  "use strict";

  function label(root) {
    root.querySelectorAll("table.table").forEach((table) => {
      const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
      if (!heads.length) return;
      table.querySelectorAll("tbody tr").forEach((row) => {
        Array.from(row.children).forEach((cell, index) => {
          if (!cell.hasAttribute("data-label") && heads[index]) cell.setAttribute("data-label", heads[index]);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => label(document));
  document.addEventListener("htmx:afterSettle", (event) => label(event.target));
})();
