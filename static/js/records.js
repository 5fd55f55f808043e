// Records import: while a form that checks or imports a file is being sent, show how far the
// server has got. The form still submits normally (the page works without this script); the
// server reports its progress under the key in the form, and this polls it.
(function () {
  "use strict";

  function watch(form) {
    var box = form.querySelector(".records-progress");
    var bar = form.querySelector("progress");
    var text = form.querySelector("[data-records-progress-text]");
    var url = form.getAttribute("data-records-progress");
    if (!box || !bar || !text || !url) {
      return;
    }
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        // Disabled after the submit event has taken the form's data, so the request is sent.
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
      box.hidden = false;
      function poll() {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.status === 200 ? response.json() : null; })
          .then(function (state) {
            if (!state) {
              return;
            }
            if (state.total) {
              bar.max = state.total;
              bar.value = state.done;
              text.textContent = box.getAttribute("data-written-text")
                .replace("%(done)s", state.done.toLocaleString())
                .replace("%(total)s", state.total.toLocaleString())
                .replace("%(sheet)s", state.stage);
            } else {
              text.textContent = box.getAttribute("data-stage-" + state.stage) || text.textContent;
            }
          })
          .catch(function () { /* the page is being replaced, or the network blinked */ });
      }
      poll();
      window.setInterval(poll, 400);
    });
  }

  document.querySelectorAll("form[data-records-progress]").forEach(watch);
})();
