// Spot layout editor: a grid of cells, each empty or holding a named reformer.
// Click (or Enter/Space on) a cell to add, rename or remove a reformer; arrow keys move
// between cells, Delete removes. The layout travels to the server as JSON in a hidden input
// and is saved by the form's submit (set_spot_layout), so nothing changes until "Save
// layout". The grid size comes from the room (data-columns, data-rows).
(function () {
  "use strict";

  function init(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    const form = root.closest("form");
    const input = form.querySelector("input[name=layout]");
    const grid = root.querySelector("[data-layout-grid]");
    const dialog = root.querySelector("dialog");
    const labelInput = dialog.querySelector("input[name=spot_label]");
    const title = dialog.querySelector("[data-dialog-title]");
    const removeButton = dialog.querySelector("[data-remove]");
    const status = root.querySelector("[data-layout-status]");
    let spots = JSON.parse(input.value || "[]");
    let editing = null; // {row, column}
    let focusAt = { row: 0, column: 0 };

    const size = () => ({
      columns: clamp(parseInt(root.dataset.columns, 10) || 1, 1, 30),
      rows: clamp(parseInt(root.dataset.rows, 10) || 1, 1, 30),
    });
    const at = (row, column) => spots.find((s) => s.row === row && s.column === column);

    function clamp(value, low, high) {
      return Math.max(low, Math.min(high, value));
    }

    function nextLabel() {
      let n = spots.length + 1;
      const taken = new Set(spots.map((s) => s.label.toLowerCase()));
      while (taken.has(`reformer ${n}`)) n += 1;
      return `Reformer ${n}`;
    }

    function render() {
      const { columns, rows } = size();
      grid.style.setProperty("--layout-columns", columns);
      grid.replaceChildren();
      for (let row = 0; row < rows; row += 1) {
        const rowEl = document.createElement("div");
        rowEl.setAttribute("role", "row");
        rowEl.className = "layout-row";
        for (let column = 0; column < columns; column += 1) {
          const spot = at(row, column);
          const cell = document.createElement("div");
          cell.setAttribute("role", "gridcell");
          const button = document.createElement("button");
          button.type = "button";
          button.className = spot ? "layout-cell layout-cell--spot" : "layout-cell";
          button.dataset.row = row;
          button.dataset.column = column;
          button.tabIndex = row === focusAt.row && column === focusAt.column ? 0 : -1;
          const where = `row ${row + 1}, column ${column + 1}`;
          if (spot) {
            button.textContent = spot.label;
            button.setAttribute("aria-label", `${spot.label}, ${where}. Rename or remove`);
          } else {
            button.innerHTML = '<span aria-hidden="true">+</span>';
            button.setAttribute("aria-label", `Empty, ${where}. Add a reformer`);
          }
          cell.appendChild(button);
          rowEl.appendChild(cell);
        }
        grid.appendChild(rowEl);
      }
      input.value = JSON.stringify(spots);
      const text = `${spots.length} reformer${spots.length === 1 ? "" : "s"} placed.`;
      if (status.textContent !== text) status.textContent = text;
    }

    function focusCell(row, column) {
      const { columns, rows } = size();
      focusAt = { row: clamp(row, 0, rows - 1), column: clamp(column, 0, columns - 1) };
      render();
      grid
        .querySelector(`button[data-row="${focusAt.row}"][data-column="${focusAt.column}"]`)
        .focus();
    }

    function open(row, column) {
      const spot = at(row, column);
      editing = { row, column };
      title.textContent = spot
        ? `Rename or remove ${spot.label}`
        : `Add a reformer at row ${row + 1}, column ${column + 1}`;
      labelInput.value = spot ? spot.label : nextLabel();
      removeButton.hidden = !spot;
      dialog.querySelector("[data-dialog-error]").textContent = "";
      dialog.showModal();
      labelInput.select();
    }

    function close() {
      dialog.close();
      if (editing) focusCell(editing.row, editing.column);
      editing = null;
    }

    grid.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-row]");
      if (!button) return;
      focusAt = { row: +button.dataset.row, column: +button.dataset.column };
      open(focusAt.row, focusAt.column);
    });

    grid.addEventListener("keydown", (event) => {
      const button = event.target.closest("button[data-row]");
      if (!button) return;
      const row = +button.dataset.row;
      const column = +button.dataset.column;
      const moves = {
        ArrowUp: [row - 1, column],
        ArrowDown: [row + 1, column],
        ArrowLeft: [row, column - 1],
        ArrowRight: [row, column + 1],
        Home: [row, 0],
        End: [row, size().columns - 1],
      };
      if (moves[event.key]) {
        event.preventDefault();
        focusCell(...moves[event.key]);
      } else if (event.key === "Delete" || event.key === "Backspace") {
        if (at(row, column)) {
          event.preventDefault();
          spots = spots.filter((s) => s !== at(row, column));
          focusCell(row, column);
        }
      }
    });

    dialog.querySelector("[data-save]").addEventListener("click", (event) => {
      event.preventDefault();
      const label = labelInput.value.trim();
      const error = dialog.querySelector("[data-dialog-error]");
      const spot = at(editing.row, editing.column);
      if (!label) {
        error.textContent = "Enter a name, e.g. Reformer 3.";
        labelInput.focus();
        return;
      }
      const clash = spots.find((s) => s !== spot && s.label.toLowerCase() === label.toLowerCase());
      if (clash) {
        error.textContent = `“${label}” is already used in this room.`;
        labelInput.focus();
        return;
      }
      if (spot) spot.label = label;
      else spots.push({ label, row: editing.row, column: editing.column });
      close();
    });

    labelInput.addEventListener("keydown", (event) => {
      // The dialog sits inside the layout form: Enter saves the name, not the layout.
      if (event.key === "Enter") {
        event.preventDefault();
        dialog.querySelector("[data-save]").click();
      }
    });

    removeButton.addEventListener("click", (event) => {
      event.preventDefault();
      spots = spots.filter((s) => s !== at(editing.row, editing.column));
      close();
    });

    dialog.querySelector("[data-cancel]").addEventListener("click", (event) => {
      event.preventDefault();
      close();
    });
    dialog.addEventListener("cancel", () => {
      editing = null;
    });

    render();
  }

  function scan(scope) {
    (scope || document).querySelectorAll("[data-layout-editor]").forEach(init);
  }
  document.addEventListener("DOMContentLoaded", () => scan());
  document.addEventListener("htmx:load", (event) => scan(event.target));
})();
