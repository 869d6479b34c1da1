/**
 * The candidate's side of the proctor console — static/delivery/proctor_messages.js.
 *
 * Used by the exam page and the check page (markup and strings in
 * delivery/_proctor_messages.html). The page owns the attempt's websocket and
 * passes every event to `handleEvent()`, and calls `catchUp()` whenever the
 * socket is (again) ready, so nothing said while away is missed.
 *
 * - A proctor's message (`console.message`, sender "proctor"; a broadcast is
 *   labelled "To all candidates") is shown in `#proctor-message-modal`, which
 *   closes only with "I have read this": `POST /api/attempts/{id}/messages/{mid}/ack`.
 *   Several queue up and are shown one after the other, oldest first. If the
 *   confirmation cannot be sent (offline) the message is still put away and the
 *   confirmation is sent again at the next catch-up or when the browser is back
 *   online.
 * - `catchUp()` reads the whole thread (`GET /api/attempts/{id}/messages`) and
 *   shows every proctor message not acknowledged yet.
 * - "Ask the proctor" (any `[data-chat-open]` button) opens `#chat-panel`: the
 *   thread, newest at the bottom, and a form that posts the candidate's message
 *   (`POST /api/attempts/{id}/messages`). A failure is shown in plain words and
 *   the typed text stays in the box.
 *
 * User-visible words come from the template's `#proctor-messages-i18n`.
 */
import { readJsonScript } from '../core/api.js';

const MESSAGE_MODAL_Z = 1080; // above the exam page's overlays (paused: 1060)

/**
 * @param {object} options
 * @param {{get: Function, post: Function}} options.api the page's API client (attempt token)
 * @param {string} options.attemptId
 * @param {string} [options.lang] the page's language, for clock times
 */
export function createProctorMessages({ api, attemptId, lang }) {
  const strings = readJsonScript('proctor-messages-i18n');
  const byId = (id) => document.getElementById(id);
  const el = {
    modal: byId('proctor-message-modal'),
    icon: byId('proctor-message-icon'),
    meta: byId('proctor-message-meta'),
    body: byId('proctor-message-body'),
    more: byId('proctor-message-more'),
    error: byId('proctor-message-error'),
    ack: byId('proctor-message-ack'),
    panel: byId('chat-panel'),
    close: byId('chat-close'),
    threadBox: byId('chat-thread-box'),
    thread: byId('chat-thread'),
    empty: byId('chat-empty'),
    form: byId('chat-form'),
    input: byId('chat-input'),
    chatError: byId('chat-error'),
    send: byId('chat-send'),
  };
  const base = `attempts/${encodeURIComponent(attemptId)}/messages`;
  const messages = new Map(); // id → message as the API shows it
  const acknowledgedHere = new Set(); // put away by the candidate, confirmation not sent yet
  let shown = null; // the id of the message in the modal
  let modalOpen = false; // asked to show and not hidden since
  const displaced = new Set(); // dialogs the message hid, shown again after it
  let acknowledging = false;
  let stopped = false;
  let lastOpener = null;

  // --- the thread --------------------------------------------------------------------

  function remember(message) {
    if (!message || !message.id) {
      return;
    }
    const known = messages.get(message.id);
    messages.set(message.id, { ...known, ...message });
  }

  /** A `console.message` event in the API's shape. */
  function fromEvent(event) {
    return {
      id: event.message,
      sender: event.sender,
      body: event.body,
      broadcast: Boolean(event.broadcast),
      sent_at: event.sent_at,
      acknowledged_at: event.acknowledged_at || null,
    };
  }

  function ordered() {
    return [...messages.values()].sort((a, b) => Date.parse(a.sent_at) - Date.parse(b.sent_at));
  }

  function clockTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? ''
      : date.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', hour12: false });
  }

  function renderThread() {
    const items = ordered().map((message) => {
      const item = document.createElement('li');
      const fromProctor = message.sender === 'proctor';
      item.className = `eh-chat-message ${fromProctor ? 'is-proctor' : 'is-candidate'}`;
      item.dataset.messageId = message.id;
      item.dataset.sender = message.sender;
      const head = document.createElement('div');
      head.className = 'eh-chat-head';
      let who = strings.you;
      if (fromProctor) {
        who = message.broadcast ? strings.proctorAll : strings.proctor;
      }
      head.textContent = `${who} · ${clockTime(message.sent_at)}`;
      const text = document.createElement('div');
      text.className = 'eh-chat-text';
      text.textContent = message.body;
      item.append(head, text);
      return item;
    });
    el.thread.replaceChildren(...items);
    el.empty.hidden = items.length > 0;
    el.threadBox.scrollTop = el.threadBox.scrollHeight;
  }

  // --- the modal -----------------------------------------------------------------------

  function waiting() {
    return ordered().filter((message) => message.sender === 'proctor' &&
      !message.acknowledged_at && !acknowledgedHere.has(message.id));
  }

  function modalInstance() {
    return window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(el.modal) : null;
  }

  /** Another dialog (e.g. "Submit your exam?") gives way while a message is shown (two
   * focus traps fight), and comes back once every message is acknowledged. */
  function hideOtherModals() {
    document.querySelectorAll('.modal.show').forEach((other) => {
      if (other !== el.modal && window.bootstrap) {
        const instance = window.bootstrap.Modal.getOrCreateInstance(other);
        instance.hide();
        if (other.classList.contains('show')) {
          // Still fading in (Bootstrap ignores hide() then): hide it once it is shown.
          other.addEventListener('shown.bs.modal', () => {
            if (displaced.has(other)) {
              instance.hide();
            }
          }, { once: true });
        }
        displaced.add(other);
      }
    });
  }

  function restoreOtherModals() {
    const again = [...displaced].filter((other) => other.isConnected);
    displaced.clear();
    if (stopped || !window.bootstrap) {
      return;
    }
    again.forEach((other) => window.bootstrap.Modal.getOrCreateInstance(other).show());
  }

  function fill(message, queued) {
    shown = message.id;
    el.modal.dataset.messageId = message.id;
    el.modal.dataset.broadcast = String(Boolean(message.broadcast));
    el.icon.className = `bi ${message.broadcast ? 'bi-megaphone' : 'bi-chat-square-text'} me-1`;
    const to = message.broadcast ? strings.toAll : strings.toYou;
    const time = clockTime(message.sent_at);
    el.meta.textContent = time ? `${to} · ${strings.sentAt.replace('{time}', time)}` : to;
    el.body.textContent = message.body;
    el.more.textContent = strings.more.replace('{count}', String(queued - 1));
    el.more.hidden = queued <= 1;
    el.error.hidden = true;
  }

  function showNext() {
    if (stopped) {
      return;
    }
    const queue = waiting();
    if (queue.length === 0) {
      shown = null;
      delete el.modal.dataset.messageId;
      if (modalOpen) {
        modalInstance()?.hide();
      }
      return;
    }
    const current = queue.find((message) => message.id === shown) || queue[0];
    fill(current, queue.length);
    if (modalOpen) {
      return;
    }
    modalOpen = true;
    hideOtherModals();
    const instance = modalInstance();
    if (!instance) {
      el.modal.classList.add('show', 'd-block');
      return;
    }
    instance.show();
    // Bootstrap appends the backdrop synchronously: lift it with the dialog.
    const backdrops = document.querySelectorAll('.modal-backdrop');
    const backdrop = backdrops[backdrops.length - 1];
    if (backdrop) {
      backdrop.style.zIndex = String(MESSAGE_MODAL_Z - 5);
    }
  }

  // Bootstrap ignores show() and hide() during a transition: settle once it ends.
  el.modal.addEventListener('shown.bs.modal', () => {
    if (waiting().length === 0) {
      modalInstance()?.hide(); // acknowledged while the dialog was still opening
    }
  });
  el.modal.addEventListener('hidden.bs.modal', () => {
    modalOpen = false;
    if (waiting().length > 0) {
      showNext(); // a message came while the dialog was closing
    } else {
      restoreOtherModals();
    }
  });

  function setAckBusy(busy) {
    acknowledging = busy;
    el.ack.disabled = busy;
    el.ack.querySelector('.spinner-border').hidden = !busy;
  }

  async function sendAcknowledgement(id) {
    const receipt = await api.post(`${base}/${encodeURIComponent(id)}/ack`);
    acknowledgedHere.delete(id);
    remember(receipt);
  }

  el.ack.addEventListener('click', async () => {
    const id = shown;
    if (!id || acknowledging) {
      return;
    }
    setAckBusy(true);
    let sentLater = false;
    try {
      await sendAcknowledgement(id);
    } catch (error) {
      if (error.status === 404) {
        messages.delete(id); // not this attempt's message (any more): nothing to confirm
      } else {
        // Read is read: put it away and confirm once the connection is back.
        acknowledgedHere.add(id);
        sentLater = true;
      }
    } finally {
      setAckBusy(false);
    }
    shown = null;
    renderThread();
    showNext();
    if (sentLater && shown !== null) {
      el.error.textContent = strings.ackLater; // said under the next message
      el.error.hidden = false;
    }
  });

  // --- the chat panel --------------------------------------------------------------------

  function showChatError(message) {
    el.chatError.textContent = message;
    el.chatError.hidden = !message;
  }

  function openChat(opener) {
    lastOpener = opener || null;
    el.panel.hidden = false;
    document.querySelectorAll('[data-chat-open]').forEach((button) => {
      button.setAttribute('aria-expanded', 'true');
    });
    renderThread();
    el.input.focus();
  }

  function closeChat() {
    el.panel.hidden = true;
    document.querySelectorAll('[data-chat-open]').forEach((button) => {
      button.setAttribute('aria-expanded', 'false');
    });
    lastOpener?.focus();
  }

  document.querySelectorAll('[data-chat-open]').forEach((button) => {
    button.setAttribute('aria-controls', 'chat-panel');
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => (el.panel.hidden ? openChat(button) : closeChat()));
  });
  el.close.addEventListener('click', closeChat);
  el.panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      closeChat();
    }
  });

  function setSending(busy) {
    el.send.disabled = busy;
    el.send.querySelector('.spinner-border').hidden = !busy;
  }

  el.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (el.send.disabled) {
      return;
    }
    const body = el.input.value.trim();
    if (!body) {
      showChatError(strings.empty);
      el.input.focus();
      return;
    }
    showChatError('');
    setSending(true);
    try {
      remember(await api.post(base, { body }));
      el.input.value = '';
      renderThread();
    } catch (error) {
      // The typed text stays in the box.
      showChatError(error.isNetwork ? strings.sendNetwork : (error.message || strings.server));
    } finally {
      setSending(false);
    }
  });

  el.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      el.form.requestSubmit();
    }
  });

  // --- events and catching up ---------------------------------------------------------------

  let catchingUp = null;

  /** Read the whole thread: every proctor message not acknowledged yet is shown. */
  function catchUp() {
    if (stopped) {
      return Promise.resolve();
    }
    catchingUp ??= (async () => {
      try {
        for (const id of [...acknowledgedHere]) {
          try {
            await sendAcknowledgement(id);
          } catch (error) {
            if (error.status === 404) {
              acknowledgedHere.delete(id);
            }
          }
        }
        const thread = await api.get(base);
        if (Array.isArray(thread)) {
          thread.forEach(remember);
        }
        renderThread();
        showNext();
      } catch {
        // Offline or refused: the next "ready" of the socket tries again.
      } finally {
        catchingUp = null;
      }
    })();
    return catchingUp;
  }

  window.addEventListener('online', () => {
    if (acknowledgedHere.size > 0) {
      catchUp(); // confirmations that could not be sent
    }
  });

  /** An event of the attempt's websocket; returns true if it was about messages. */
  function handleEvent(event) {
    if (stopped || !event || event.kind !== 'console.message' || !event.message) {
      return false;
    }
    remember(fromEvent(event));
    renderThread();
    showNext();
    return true;
  }

  /** The page is leaving (the exam is over): no more dialogs. */
  function stop() {
    stopped = true;
    modalInstance()?.hide();
    el.panel.hidden = true;
  }

  return { handleEvent, catchUp, stop, openChat, closeChat };
}
