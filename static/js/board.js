/*
 * The live board (templates/responses/board.html).
 *
 * - The list keeps its newest cards only. The feed adds each new card to the top of the list
 *   and never takes one away (templates/responses/_board_delta.html); over a session of
 *   thousands of cards the list would grow without end, and the browser would lay all of them
 *   out again on every poll for cards far below the screen. After each answer this keeps the
 *   first data-board-keep cards (set by the server, more than one answer ever adds).
 * - Full screen: the button (shown only with JavaScript) or the F key.
 * - A board whose sign-in ended keeps what it shows: the feed answers its poll with 401
 *   (responses/board_views.py), which htmx does not swap, and anything that is not the feed's
 *   own answer (a sign-in page after a redirect, say) is refused here too. A notice with a
 *   sign-in link appears; the next good answer (signed in again in another tab) hides it.
 * Without JavaScript the board is reloaded by hand and shows the newest cards anyway.
 */
(function () {
  "use strict";

  const FEED_PATH = /\/board\/feed\/$/;

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

  function signedOut(shown) {
    const notice = document.getElementById("board-signed-out");
    if (notice) {
      notice.hidden = !shown;
    }
  }

  function isFeedAnswer(xhr) {
    try {
      return FEED_PATH.test(new URL(xhr.responseURL).pathname);
    } catch (error) {
      return false;
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status === 401 || (xhr.status < 400 && !isFeedAnswer(xhr))) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      signedOut(true);
    }
  });

  // Every 200 answer replaces #board-feed; its htmx:afterSwap reaches the document after the
  // out-of-band additions are in place.
  document.addEventListener("htmx:afterSwap", function () {
    trim();
    signedOut(false);
  });

  function toggleFullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () {});
    }
  }

  function typing(target) {
    return target.closest("input, select, textarea, [contenteditable]") !== null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const button = document.querySelector("[data-board-fullscreen]");
    if (!button || !document.fullscreenEnabled) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", toggleFullscreen);
    document.addEventListener("keydown", function (event) {
      if (event.key.toLowerCase() !== "f" || event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (typing(event.target)) {
        return;
      }
      event.preventDefault();
      toggleFullscreen();
    });
  });
})();
