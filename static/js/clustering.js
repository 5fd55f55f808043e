/*
 * Drag and drop on the clustering page. Dropping a statement on a category (or on
 * "Uncategorised") sets that statement's "Move to" list and submits its form: the same request
 * the keyboard path makes, so both behave identically.
 */
(function () {
  "use strict";
  let dragged = null;

  document.querySelectorAll(".clustering-statement").forEach((item) => {
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.statement);
      item.classList.add("dragging");
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
    });
  });

  document.querySelectorAll(".drop-zone").forEach((zone) => {
    zone.addEventListener("dragover", (event) => {
      if (dragged) {
        event.preventDefault();
        zone.classList.add("drop-target");
      }
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("drop-target"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("drop-target");
      if (!dragged) {
        return;
      }
      const form = dragged.querySelector(".move-form");
      form.querySelector("select[name=category]").value = zone.dataset.category;
      form.requestSubmit();
    });
  });
})();
