/*
 * The notes editor saves as you type. Saves go one at a time, each carrying the revision the
 * text was based on; a keystroke typed during a save is sent with the next one, so none is
 * lost. The text is also kept on this device until saved. When another facilitator saved in
 * the meantime the server keeps both texts and says so; their text is shown beside yours.
 */
(function () {
  "use strict";
  const form = document.getElementById("note-form");
  if (!form) {
    return;
  }
  const textarea = form.querySelector("textarea[name=text]");
  const basedOn = form.querySelector("input[name=based_on]");
  const status = document.getElementById("note-status");
  const strings = form.dataset;
  const storageKey = "ctg:notes:" + window.location.pathname;
  const DELAY_MS = 3000;  // a revision per pause, not per word; the device keeps every keystroke

  let timer = null;
  let saving = false;
  let dirty = false;

  function csrfToken() {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function keepLocally() {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({ text: textarea.value, basedOn: basedOn.value }));
    } catch (error) {
      /* storage refused: the server copy is all there is */
    }
  }

  function forgetLocally() {
    try {
      window.localStorage.removeItem(storageKey);
    } catch (error) {
      /* nothing kept */
    }
  }

  function showConflict(conflict, mine) {
    const panel = document.getElementById("note-conflict-live");
    panel.querySelector(".conflict-message").textContent = strings.stringsConflict
      .replace("%(mine)s", mine)
      .replace("%(theirs)s", conflict.revision)
      .replace("%(author)s", conflict.author);
    panel.querySelector("textarea").value = conflict.text;
    panel.hidden = false;
  }

  async function save() {
    if (saving) {
      dirty = true;
      return;
    }
    saving = true;
    dirty = false;
    status.textContent = strings.stringsSaving;
    const body = new FormData();
    body.append("text", textarea.value);
    body.append("based_on", basedOn.value);
    try {
      const response = await window.fetch(form.action || window.location.href, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      const data = await response.json();
      if (!response.ok || data.status !== "saved") {
        throw new Error("not saved");
      }
      basedOn.value = data.revision;
      status.textContent = strings.stringsSaved + " " + data.revision;
      if (data.conflict) {
        showConflict(data.conflict, data.revision);
      }
      if (!dirty) {
        forgetLocally();
      }
    } catch (error) {
      dirty = true;
      status.textContent = strings.stringsOffline;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 3000);
    } finally {
      saving = false;
    }
    if (dirty) {
      schedule();
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY_MS);
  }

  // Text kept on this device from an earlier visit that never reached the server.
  try {
    const kept = JSON.parse(window.localStorage.getItem(storageKey) || "null");
    if (kept && kept.text !== textarea.value && kept.basedOn === basedOn.value) {
      textarea.value = kept.text;
      schedule();
    }
  } catch (error) {
    /* nothing kept */
  }

  textarea.addEventListener("input", () => {
    keepLocally();
    schedule();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(timer);
    save();
  });
  window.addEventListener("online", () => dirty && save());
})();
