/*
 * The live board's list keeps its newest cards only. The feed adds each new card to the top
 * of the list and never takes one away (templates/responses/_board_delta.html); over a session
 * of thousands of cards the list would grow without end, and the browser would lay all of
 * them out again on every poll for cards far below the screen. After each answer this keeps
 * the first data-board-keep cards (set by the server, more than one answer ever adds).
 * Without JavaScript the board is reloaded by hand and shows the newest cards anyway.
 */
(function () {
  "use strict";

  function trim() {
    const list = document.getElementById("board-statements");
    if (!list) {
      return;
    }
    const keep = parseInt(list.dataset.boardKeep, 10);
    if (!(keep > 0)) {
      return;
    }
    while (list.children.length > keep) {
      list.removeChild(list.lastElementChild);
    }
  }

  // Every 200 answer replaces #board-feed; its htmx:afterSwap reaches the document after the
  // out-of-band additions are in place.
  document.addEventListener("htmx:afterSwap", trim);
})();
