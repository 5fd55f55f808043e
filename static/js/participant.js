/*
 * The participant's page: cards are never lost and never sent twice.
 *
 * - What is typed is saved on this device as it is typed, so a reload keeps it.
 * - "Send card" moves the card into an outbox kept on this device, with an idempotency key
 *   made here. The outbox is sent one card at a time; a card leaves it only when the server
 *   acknowledges it, and only then is "Received" shown. After a dropped connection, a busy
 *   server or an expired CSRF token the same card is sent again with the same key, so the
 *   server stores it once.
 * - The writing timer counts down; the dots panel keeps keyboard focus after an update.
 * - A message shown with the page (Django's messages) goes with the next action.
 * - When the session moves on, the status poll swaps the page's content in place (htmx); what
 *   it holds (the card form, the timer, the outbox) is set up again and focus moves to the
 *   phase's message.
 *
 * Without JavaScript the same forms post normally and the server redirects back.
 */
(function () {
  "use strict";

  const root = document.querySelector(".participant-page");
  if (!root) {
    return;
  }
  const code = root.dataset.sessionCode;
  const statementUrl = root.dataset.statementUrl;
  const statusUrl = root.dataset.statusUrl;
  const text = document.getElementById("participant-strings").dataset;
  const RETRY_MS = 4000;
  const TIMEOUT_MS = 15000;

  // --- Storage on this device (falls back to memory where storage is refused) -------------
  const memory = {};
  const store = {
    get(name, fallback) {
      const key = "ctg:" + code + ":" + name;
      try {
        const raw = window.localStorage.getItem(key);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (error) {
        return key in memory ? memory[key] : fallback;
      }
    },
    set(name, value) {
      const key = "ctg:" + code + ":" + name;
      memory[key] = value;
      try {
        window.localStorage.setItem(key, JSON.stringify(value));
      } catch (error) {
        /* storage full or refused: the memory copy still serves this page */
      }
    },
  };

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function clearMessages() {
    // A message from the last page load ("Your card is withdrawn.") is about what was done
    // then: it goes with the next action, as it would with the next page load.
    document.querySelectorAll("main > .messages").forEach((messages) => messages.remove());
  }

  function say(message) {
    const status = document.getElementById("send-status");
    if (status) {
      status.textContent = message;
    }
  }

  // --- The outbox -----------------------------------------------------------------------
  function outbox() {
    return store.get("outbox", []);
  }

  function saveOutbox(items) {
    store.set("outbox", items);
    renderOutbox(items);
  }

  function renderOutbox(items) {
    const section = document.getElementById("outbox");
    const list = document.getElementById("outbox-list");
    const template = document.getElementById("pending-card-template");
    if (!section || !list || !template) {
      return;
    }
    list.replaceChildren();
    items.forEach((item) => {
      const node = template.content.firstElementChild.cloneNode(true);
      node.querySelector(".statement-text").textContent = item.text;
      node.querySelector(".pending-note").textContent = item.error || text.pending;
      const dismiss = node.querySelector(".dismiss");
      if (item.error) {
        dismiss.hidden = false;
        dismiss.addEventListener("click", () => {
          saveOutbox(outbox().filter((other) => other.key !== item.key));
        });
      }
      list.appendChild(node);
    });
    section.hidden = items.length === 0;
  }

  function showReceived(statement) {
    const list = document.getElementById("my-statements");
    const template = document.getElementById("sent-card-template");
    if (!list || !template || list.querySelector('[data-key="' + statement.key + '"]')) {
      return;
    }
    const empty = list.querySelector(".empty-cards");
    if (empty) {
      empty.remove();
    }
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.key = statement.key;
    node.querySelector(".statement-text").textContent = statement.text;
    const mark = node.querySelector(".use-mark");
    if (statement.use) {
      mark.querySelector(".badge").textContent = text["use" + statement.use] || statement.use;
    } else {
      mark.remove();
    }
    const actions = document.createElement("div");
    actions.className = "d-flex gap-2 flex-wrap mt-1";
    const change = document.createElement("a");
    change.className = "btn btn-sm btn-outline-dark";
    change.href = statement.edit_url;
    change.textContent = text.change;
    change.appendChild(hiddenLabel(statement.text));
    // Withdrawing asks first, on its own page (the same link the server renders).
    const withdraw = document.createElement("a");
    withdraw.className = "btn btn-sm btn-outline-danger";
    withdraw.href = statement.withdraw_url;
    withdraw.textContent = text.withdraw;
    withdraw.appendChild(hiddenLabel(statement.text));
    actions.append(change, withdraw);
    node.appendChild(actions);
    list.appendChild(node);
  }

  function hiddenLabel(cardText) {
    // Screen readers hear which card a button acts on.
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = " " + (cardText.length > 40 ? cardText.slice(0, 39) + "…" : cardText);
    return span;
  }

  async function post(item) {
    const body = new FormData();
    body.append("text", item.text);
    body.append("use", item.use);
    body.append("idempotency_key", item.key);
    body.append("csrfmiddlewaretoken", csrfToken());
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      return await window.fetch(statementUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        signal: controller.signal,
      });
    } finally {
      window.clearTimeout(timer);
    }
  }

  async function renewCsrfToken() {
    // The status URL sets a fresh CSRF cookie.
    await window.fetch(statusUrl, { credentials: "same-origin", cache: "no-store" });
  }

  let flushing = false;
  let retryTimer = null;

  function retryLater(delay) {
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(flush, delay);
  }

  async function flush() {
    if (flushing) {
      return;
    }
    flushing = true;
    try {
      let renewed = false;
      for (;;) {
        const item = outbox().find((candidate) => !candidate.error);
        if (!item) {
          return;
        }
        say(text.sending);
        let response;
        try {
          response = await post(item);
        } catch (error) {
          say(text.offline);
          retryLater(RETRY_MS);
          return;
        }
        const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
        const data = isJson ? await response.json().catch(() => null) : null;
        if (response.ok && data && data.status === "received") {
          saveOutbox(outbox().filter((other) => other.key !== item.key));
          showReceived(data.statement);
          say(text.received);
          continue;
        }
        if (response.status === 403 && !isJson && !renewed) {
          // Django's CSRF refusal is an HTML page: renew the token and send the card again.
          renewed = true;
          await renewCsrfToken().catch(() => null);
          continue;
        }
        if (data && data.error && [400, 403, 409].includes(response.status)) {
          refused(item, data.error);
          continue;
        }
        // Busy (429), unavailable (503), another server error, or an unexpected answer.
        say(text.retrying);
        const wait = Number(response.headers.get("Retry-After"));
        retryLater(wait > 0 ? wait * 1000 : RETRY_MS);
        return;
      }
    } finally {
      flushing = false;
    }
  }

  function refused(item, message) {
    // The server will never take this card as it is: give the text back to the participant.
    const textarea = document.querySelector("#statement-form textarea[name=text]");
    if (textarea && textarea.value.trim() === "") {
      textarea.value = item.text;
      saveDraft();
      saveOutbox(outbox().filter((other) => other.key !== item.key));
      say(message);
      textarea.focus();
    } else {
      saveOutbox(outbox().map((other) => (other.key === item.key ? { ...other, error: message } : other)));
      say(message);
    }
  }

  // --- The card being typed ---------------------------------------------------------------
  // The page's content is swapped in place when the session moves on (the status poll), so
  // everything below is looked up again, and set up again, after each swap.
  let form = null;
  let textarea = null;
  let keyField = null;

  function currentUse() {
    const checked = form.querySelector("input[name=use]:checked");
    return checked ? checked.value : "";
  }

  function setUse(value) {
    form.querySelectorAll("input[name=use]").forEach((radio) => {
      radio.checked = radio.value === (value || "");
    });
  }

  function saveDraft() {
    if (form && textarea && keyField) {
      store.set("draft", { text: textarea.value, use: currentUse(), key: keyField.value });
    }
  }

  function setUpForm() {
    form = document.getElementById("statement-form");
    textarea = form ? form.querySelector("textarea[name=text]") : null;
    keyField = form ? form.querySelector("input[name=idempotency_key]") : null;
    if (!form || !textarea || !keyField) {
      form = textarea = keyField = null;
      return;
    }
    const draft = store.get("draft", null);
    if (draft && draft.text && textarea.value.trim() === "") {
      textarea.value = draft.text;
      setUse(draft.use);
      if (draft.key) {
        keyField.value = draft.key;
      }
    }
    // A key already in the outbox (or acknowledged) must not be reused for a new card.
    if (outbox().some((item) => item.key === keyField.value)) {
      keyField.value = newKey();
    }
    saveDraft();
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", saveDraft);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (textarea.value.trim() === "") {
        say(text.empty);
        textarea.focus();
        return;
      }
      clearMessages();
      const item = { key: keyField.value, text: textarea.value, use: currentUse() };
      const items = outbox().filter((other) => other.key !== item.key);
      items.push(item);
      saveOutbox(items);
      textarea.value = "";
      setUse("");
      keyField.value = newKey();
      saveDraft();
      textarea.focus();
      flush();
    });
  }

  function setUpUnsent() {
    // Writing has ended but something typed was never sent: show it rather than lose it.
    const unsent = document.getElementById("unsent-draft");
    if (form || !unsent) {
      return;
    }
    const draft = store.get("draft", null);
    if (draft && draft.text && draft.text.trim()) {
      unsent.querySelector("textarea").value = draft.text;
      unsent.hidden = false;
      document.getElementById("unsent-discard").addEventListener("click", () => {
        store.set("draft", { text: "", use: "", key: "" });
        unsent.hidden = true;
      });
    }
  }

  // --- The writing timer ------------------------------------------------------------------
  let timerInterval = null;

  function setUpTimer() {
    window.clearInterval(timerInterval);
    timerInterval = null;
    const timer = document.querySelector(".writing-timer");
    if (!timer) {
      return;
    }
    const offset = Date.parse(timer.dataset.serverNow) - Date.now();
    const deadline = Date.parse(timer.dataset.deadline);
    const remaining = timer.querySelector(".timer-remaining");
    const announce = document.getElementById("timer-announcement");
    let announcedMinute = false;
    let announcedEnd = false;
    const tick = () => {
      const left = Math.max(0, Math.round((deadline - (Date.now() + offset)) / 1000));
      const minutes = Math.floor(left / 60);
      const seconds = String(left % 60).padStart(2, "0");
      remaining.textContent = left > 0 ? "(" + minutes + ":" + seconds + " " + text.left + ")" : "";
      if (left <= 60 && left > 0 && !announcedMinute) {
        announcedMinute = true;
        announce.textContent = text.oneMinute;
      }
      if (left === 0 && !announcedEnd) {
        announcedEnd = true;
        announce.textContent = text.timeUp;
        remaining.textContent = text.timeUp;
      }
    };
    tick();
    timerInterval = window.setInterval(tick, 1000);
  }

  function setUpContent() {
    setUpForm();
    setUpUnsent();
    setUpTimer();
    renderOutbox(outbox());
  }

  setUpContent();
  window.addEventListener("online", flush);
  flush();

  // The session moved on: the status poll swapped in the page's new content. Set it up, and
  // take the keyboard (and a screen reader) to what the phase now asks.
  document.body.addEventListener("htmx:load", (event) => {
    if (event.detail.elt && event.detail.elt.id === "session-content") {
      clearMessages();
      setUpContent();
      const banner = event.detail.elt.querySelector(".phase-banner");
      if (banner) {
        banner.focus();
      }
    }
  });

  // --- Dots: keep keyboard focus on the updated panel ---------------------------------------
  // The pressed button is replaced by the update: put focus back on the same button of the same
  // category (the dots-left line is a live region, so the new count is announced anyway), or,
  // where that one is now disabled or gone (a disabled button cannot take focus), on the
  // category's other button, so the next Tab goes on from there. When the whole ballot came
  // back (the last dot placed, or one taken off a full ballot) focus goes to the dots-left line,
  // which says what changed; a refusal's message comes first of all.
  let lastCategory = null;
  let lastAction = "place";
  let wholeBallot = false;
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("form[data-category] button[name=action]");
    if (button) {
      lastAction = button.value;
    }
  });
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const field = event.detail.elt && event.detail.elt.querySelector("input[name=category]");
    if (field) {
      lastCategory = field.value; // a dot form; the status poll has none and changes nothing
      clearMessages();
    }
  });
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    wholeBallot = Boolean(xhr && xhr.getResponseHeader("HX-Retarget") === "#ballot");
  });
  // A refused dot change that is not a ballot (too many at once, or this browser has not
  // joined) comes back as a 4xx with a plain-text reason: show it where the ballot's own
  // messages appear.
  document.body.addEventListener("htmx:responseError", (event) => {
    const ballot = document.getElementById("ballot");
    const reason = event.detail.xhr && event.detail.xhr.responseText;
    if (!ballot || !reason) {
      return;
    }
    let message = document.getElementById("dot-message");
    if (message && message.hidden) {
      message.remove();
      message = null;
    }
    if (!message) {
      message = document.createElement("div");
      message.id = "dot-message";
      message.className = "alert alert-danger";
      message.setAttribute("role", "alert");
      message.tabIndex = -1;
      ballot.querySelector("h2").after(message);
    }
    message.textContent = reason;
    message.focus();
  });

  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.elt && event.detail.elt.id === "session-content") {
      return;
    }
    const shown = document.getElementById("dot-message");
    const message = shown && !shown.hidden ? shown : null;
    const dotForm = lastCategory && !wholeBallot
      ? document.querySelector('form[data-category="' + lastCategory + '"]')
      : null;
    const again = dotForm
      ? dotForm.querySelector('button[value="' + lastAction + '"]:not([disabled])') ||
        dotForm.querySelector("button[name=action]:not([disabled])")
      : null;
    const target = message || again || document.getElementById("dots-left");
    if (target) {
      target.focus();
    }
  });
})();
