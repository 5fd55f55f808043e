/*
 * Paper-card entry without a page reload, so nothing typed right after Enter is lost. Each
 * card is queued here with its own idempotency key, the box is emptied at once, and the queue
 * is saved in order; a card leaves the queue only when the server has stored it. Without
 * JavaScript the form posts and the page reloads instead.
 */
(function () {
  "use strict";
  const form = document.getElementById("card-form");
  if (!form) {
    return;
  }
  const input = form.querySelector("input[name=text]");
  const keyField = form.querySelector("input[name=idempotency_key]");
  const status = document.getElementById("card-status");
  const list = document.getElementById("recent-cards");
  const counter = document.getElementById("card-count");
  const strings = document.getElementById("card-strings").dataset;
  const storageKey = "ctg:cards:" + window.location.pathname;
  let queue = [];
  let sending = false;

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

  function keep() {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(queue));
    } catch (error) {
      /* storage refused: the queue lives in memory only */
    }
  }

  function csrfToken() {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function added(card) {
    const item = document.createElement("li");
    item.className = "list-group-item";
    const text = document.createElement("span");
    text.className = "statement-text";
    text.textContent = card.text;
    item.appendChild(text);
    if (card.use_label) {
      const badge = document.createElement("span");
      badge.className = "badge text-bg-secondary ms-1";
      badge.textContent = card.use_label;
      item.appendChild(badge);
    }
    if (card.correct_url) {
      const link = document.createElement("a");
      link.className = "small ms-2";
      link.href = card.correct_url;
      link.textContent = strings.correct;
      link.setAttribute("aria-label", strings.correct + ": " + card.text.slice(0, 40));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(link);
    }
    list.prepend(item);
    const count = Number(counter.dataset.count) + 1;
    counter.dataset.count = String(count);
    counter.textContent = count === 1 ? counter.dataset.one : counter.dataset.many.replace("%(count)s", count);
  }

  async function send() {
    if (sending) {
      return;
    }
    sending = true;
    try {
      while (queue.length) {
        const card = queue[0];
        status.textContent = strings.saving;
        const body = new FormData();
        body.append("text", card.text);
        body.append("idempotency_key", card.key);
        let response;
        try {
          response = await window.fetch(form.action || window.location.href, {
            method: "POST",
            body: body,
            credentials: "same-origin",
            headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
          });
        } catch (error) {
          status.textContent = strings.offline + " (" + queue.length + " " + strings.waiting + ")";
          window.setTimeout(send, 3000);
          return;
        }
        const data = await response.json().catch(() => null);
        queue.shift();
        keep();
        if (response.ok && data && data.status === "saved") {
          if (response.status === 201) {
            added(data);
          }
          status.textContent = strings.saved;
        } else {
          // Refused (for example an empty card): say why and give the text back if the box is free.
          status.textContent = (data && data.error) || strings.offline;
          if (!input.value) {
            input.value = card.text;
          }
        }
      }
    } finally {
      sending = false;
    }
  }

  try {
    queue = JSON.parse(window.localStorage.getItem(storageKey) || "[]");
  } catch (error) {
    queue = [];
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) {
      input.focus();
      return;
    }
    queue.push({ text: input.value, key: keyField.value });
    keep();
    input.value = "";
    keyField.value = newKey();
    input.focus();
    send();
  });
  window.addEventListener("online", send);
  send();
})();
