/*
 * The clustering page, on top of forms that work without it.
 *
 * Drag and drop: dropping a statement on a category (or on "Uncategorised") types that
 * category's number (0 for Uncategorised) into the statement's number box and presses its Move
 * button: the same request the keyboard path makes, so both behave identically.
 *
 * "Hide" moves the page's one hide form under the statement instead of loading the page again
 * with ?hide=….
 *
 * After a move, the next statement's number box has the focus by the page's own autofocus, and
 * the page says what moved in its live region (#clustering-status). Here the moved statement
 * (.just-moved) is also scrolled into view, when that keeps the focused box in view too.
 *
 * The page can hold a thousand statements: one listener of each kind on the document, none per
 * statement.
 */
(function () {
  "use strict";
  let dragged = null;
  let over = null;

  function mark(zone) {
    if (over === zone) {
      return;
    }
    if (over) {
      over.classList.remove("drop-target");
    }
    over = zone;
    if (over) {
      over.classList.add("drop-target");
    }
  }

  function zoneAt(event) {
    return dragged && event.target.closest ? event.target.closest(".drop-zone") : null;
  }

  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest ? event.target.closest(".clustering-statement") : null;
    if (!item) {
      return;
    }
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.id);
    item.classList.add("dragging");
  });

  document.addEventListener("dragend", () => {
    if (dragged) {
      dragged.classList.remove("dragging");
    }
    dragged = null;
    mark(null);
  });

  document.addEventListener("dragover", (event) => {
    const zone = zoneAt(event);
    if (zone) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
    mark(zone);
  });

  document.addEventListener("drop", (event) => {
    const zone = zoneAt(event);
    mark(null);
    if (!zone) {
      return;
    }
    event.preventDefault();
    if (dragged.closest(".drop-zone") === zone) {
      return; // dropped where it already is
    }
    dragged.querySelector(".move-box").value = zone.dataset.number;
    const button = dragged.querySelector("button[name=statement]");
    button.form.requestSubmit(button);
  });

  function inView(element) {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  }

  function showMoved() {
    const moved = document.querySelector(".just-moved");
    const focused = document.activeElement;
    if (!moved || inView(moved)) {
      return;
    }
    const top = window.scrollY;
    moved.scrollIntoView({ block: "nearest" });
    if (focused && focused !== document.body && !inView(focused)) {
      window.scrollTo(0, top); // the box to go on with matters more than the one just filed
    }
  }

  if (document.readyState === "complete") {
    showMoved();
  } else {
    window.addEventListener("load", showMoved);
  }

  // Hide: the controls of the page's one hide form go under the statement, ready for the reason.
  const hideForm = document.getElementById("hide-form");
  const hidePanel = document.getElementById("hide-panel");
  const hideReason = document.getElementById("hide-reason");
  let hideLink = null;

  function hideClose() {
    hidePanel.hidden = true;
    if (hideLink) {
      hideLink.focus();
      hideLink = null;
    }
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest(".hide-link") : null;
    if (!link || !hideForm) {
      return;
    }
    event.preventDefault();
    const item = link.closest(".clustering-statement");
    hideForm.elements.statement.value = item.id.replace("statement-", "");
    const quote = document.getElementById("hide-quote"); // of a statement in ?hide=
    if (quote) {
      quote.remove();
    }
    item.appendChild(hidePanel);
    hidePanel.classList.replace("mb-4", "mt-2");
    hidePanel.hidden = false;
    hideLink = link;
    hideReason.focus();
  });

  if (hideForm) {
    document.getElementById("hide-cancel").addEventListener("click", (event) => {
      if (hideLink) {
        event.preventDefault();
        hideClose();
      }
    });
    hideReason.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && hideLink) {
        hideClose();
      }
    });
  }
})();
