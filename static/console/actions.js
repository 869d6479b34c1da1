/**
 * The proctor's actions and dialogs, shared by the room view and the candidate
 * detail — static/console/actions.js.
 *
 * `createActions({api, config, t, onChanged})` returns:
 * - `menuItems(tile)`: the actions that make sense in the candidate's state;
 * - `run(action, tile)`: carries one out — at once (admit), after a Bootstrap
 *   dialog asking for confirmation and the reason (pause, terminate …), or by
 *   opening the chat, the identity review, the live video popup or the timeline;
 * - `broadcast()`, `admitAll()`, `irregularity(tile | null)`, `bulk(action, tiles)`;
 * - `chatEvent(event)`: live messages and acknowledgements for an open chat.
 *
 * A tile here is `{attempt_id, candidate, ticket_number, state, reentry_requested}`.
 * Every call goes to `/api/console/…` (session + CSRF); the server decides, audits
 * and tells the room; `onChanged(attemptId, result)` lets the page refresh early.
 */

import { format } from '../core/api.js';
import { formatClock } from './time_left.js';

const FINISHED = new Set(['registered', 'submitted', 'graded', 'voided']);
const CLOCK_STATES = new Set(['in_progress', 'paused']);

// What each dialog asks for; `path` is under /api/console/attempts/<id>/.
const DIALOGS = {
  refuse: { path: 'admission', reason: 'required', reasonLabel: 'refuseReason',
    payload: (values) => ({ decision: 'refuse', reason: values.reason }) },
  pause: { path: 'pause', reason: 'required' },
  resume: { path: 'resume', reason: 'optional' },
  extend: { path: 'extend', reason: 'required', minutes: true },
  force_submit: { path: 'submit', reason: 'required', danger: true },
  terminate: { path: 'terminate', reason: 'required', danger: true },
  reentry: { path: 'reentry', reason: 'optional' },
};

const BULK_NEEDS = {
  admit: {},
  message: { body: true },
  pause: { reason: 'required' },
  resume: { reason: 'optional' },
  extend: { reason: 'required', minutes: true },
  force_submit: { reason: 'required', danger: true },
};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export function createActions({ api, config, t, onChanged = () => {} }) {
  const modal = (id) => window.bootstrap.Modal.getOrCreateInstance(document.getElementById(id));
  let chatTile = null;

  function toast(text, tone = 'success') {
    const container = document.getElementById('console-toasts');
    if (!container) {
      return;
    }
    const node = element('div', `toast align-items-center text-bg-${tone} border-0`);
    node.setAttribute('role', tone === 'danger' ? 'alert' : 'status');
    const row = element('div', 'd-flex');
    row.append(element('div', 'toast-body', text));
    node.append(row);
    container.append(node);
    const instance = window.bootstrap.Toast.getOrCreateInstance(node, { delay: 4000 });
    node.addEventListener('hidden.bs.toast', () => node.remove());
    instance.show();
  }

  function menuItems(tile) {
    const items = [];
    const state = tile.state;
    const live = tile.attempt_id && !FINISHED.has(state);
    if (state === 'awaiting_admission') {
      items.push({ action: 'admit' }, { action: 'refuse' });
    }
    if (state === 'identity_review' && config.mayReviewIdentity) {
      items.push({ action: 'identity' });
    }
    if (live) {
      items.push({ action: 'message' });
    }
    if (state === 'in_progress') {
      items.push({ action: 'pause' });
    }
    if (state === 'paused') {
      items.push({ action: 'resume' });
    }
    if (CLOCK_STATES.has(state)) {
      items.push({ action: 'extend' }, { action: 'reentry' });
    }
    if (live) {
      items.push('divider', { action: 'livePc' }, { action: 'livePhone' });
    }
    items.push('divider');
    if (tile.attempt_id) {
      items.push({ action: 'detail' }, { action: 'irregularityFor' });
    }
    if (CLOCK_STATES.has(state)) {
      items.push('divider', { action: 'force_submit', danger: true });
    }
    if (live) {
      items.push({ action: 'terminate', danger: true });
    }
    return items.filter((item, index, all) => item !== 'divider'
      || (index > 0 && all[index - 1] !== 'divider' && index < all.length - 1));
  }

  /** Fill a dropdown menu (a <ul>) with the tile's actions. */
  function fillMenu(menu, tile) {
    menu.replaceChildren();
    for (const item of menuItems(tile)) {
      const li = document.createElement('li');
      if (item === 'divider') {
        li.append(element('hr', 'dropdown-divider'));
      } else {
        const button = element('button', `dropdown-item${item.danger ? ' text-danger' : ''}`,
          t[item.action] || item.action);
        button.type = 'button';
        button.dataset.action = item.action;
        li.append(button);
      }
      menu.append(li);
    }
  }

  /**
   * The confirmation dialog. `submit(values)` runs the request; its error is shown
   * in the dialog, which stays open. Resolves with the result, or null if cancelled.
   */
  function ask({ title, text, confirmLabel, danger = false, reason = null,
    reasonLabel = 'reasonLabel', minutes = false, body = false, submit }) {
    const form = document.getElementById('action-form');
    const reasonInput = document.getElementById('action-reason');
    const minutesInput = document.getElementById('action-minutes');
    const bodyInput = document.getElementById('action-body');
    const error = document.getElementById('action-error');
    const confirm = document.getElementById('action-confirm');
    document.getElementById('action-title').textContent = title;
    document.getElementById('action-text').textContent = text || '';
    document.getElementById('action-reason-group').hidden = !reason;
    document.getElementById('action-reason-label').textContent = reason === 'optional'
      ? t.reasonOptional : t[reasonLabel] || t.reasonLabel;
    document.getElementById('action-minutes-group').hidden = !minutes;
    document.getElementById('action-body-group').hidden = !body;
    reasonInput.value = '';
    bodyInput.value = '';
    minutesInput.value = '10';
    error.hidden = true;
    confirm.textContent = confirmLabel || t.confirm;
    confirm.className = `btn ${danger ? 'btn-danger' : 'btn-primary'}`;
    confirm.disabled = false;
    const dialog = document.getElementById('action-modal');
    return new Promise((resolve) => {
      let result = null;
      async function onSubmit(event) {
        event.preventDefault();
        const values = {
          reason: reasonInput.value.trim(),
          minutes: Number(minutesInput.value),
          body: bodyInput.value.trim(),
        };
        if (body && !values.body) {
          error.textContent = t.bodyRequired;
          error.hidden = false;
          return;
        }
        if (reason === 'required' && !values.reason) {
          error.textContent = t.reasonRequired;
          error.hidden = false;
          reasonInput.focus();
          return;
        }
        confirm.disabled = true;
        try {
          result = (await submit(values)) ?? true;
          modal('action-modal').hide();
        } catch (failure) {
          error.textContent = failure.message || t.server;
          error.hidden = false;
        } finally {
          confirm.disabled = false;
        }
      }
      function onHidden() {
        form.removeEventListener('submit', onSubmit);
        dialog.removeEventListener('hidden.bs.modal', onHidden);
        resolve(result);
      }
      form.addEventListener('submit', onSubmit);
      dialog.addEventListener('hidden.bs.modal', onHidden);
      dialog.addEventListener('shown.bs.modal', () => {
        (body ? bodyInput : reason ? reasonInput : confirm).focus();
      }, { once: true });
      modal('action-modal').show();
    });
  }

  async function run(action, tile) {
    const id = tile.attempt_id;
    if (!id) {
      return;
    }
    if (action === 'admit') {
      try {
        const result = await api.post(`console/attempts/${id}/admission`, { decision: 'admit' });
        toast(`${tile.candidate}: ${result.state_label}`);
        onChanged(id, result);
      } catch (failure) {
        toast(failure.message || t.server, 'danger');
      }
    } else if (action === 'message') {
      openChat(tile);
    } else if (action === 'identity') {
      openIdentity(tile);
    } else if (action === 'detail') {
      window.location.href = config.attemptUrl.replace('{attempt}', id);
    } else if (action === 'livePc' || action === 'livePhone') {
      const camera = action === 'livePc' ? 'pc' : 'phone';
      openLive(id, camera);
    } else if (action === 'irregularityFor') {
      irregularity(tile);
    } else if (DIALOGS[action]) {
      const spec = DIALOGS[action];
      const result = await ask({
        title: format(t[`title_${action}`], { name: tile.candidate }),
        text: t[`text_${action}`],
        confirmLabel: (t[action] || '').replace(/…$/, ''),
        danger: spec.danger, reason: spec.reason, reasonLabel: spec.reasonLabel,
        minutes: spec.minutes,
        submit: (values) => api.post(`console/attempts/${id}/${spec.path}`,
          spec.payload ? spec.payload(values)
            : { reason: values.reason, ...(spec.minutes ? { minutes: values.minutes } : {}) }),
      });
      if (result) {
        toast(`${tile.candidate}: ${result.state_label || t.done}`);
        onChanged(id, result);
      }
    }
  }

  function openLive(attemptId, camera) {
    const url = config.liveUrl.replace('{attempt}', attemptId).replace('{camera}', camera);
    const popup = window.open(url, `live-${attemptId}-${camera}`,
      'popup,width=720,height=600');
    if (popup) {
      popup.focus();
    }
  }

  // --- chat ------------------------------------------------------------------

  function renderMessage(message) {
    const mine = message.sender === 'proctor';
    const item = element('div', `eh-chat-message ${mine ? 'eh-chat-mine' : 'eh-chat-theirs'}`);
    item.dataset.messageId = message.id || message.message;
    const meta = element('div', 'eh-chat-meta small',
      `${mine ? t.you : t.candidate} · ${formatClock(message.sent_at)}`
      + (message.broadcast ? ` · ${t.broadcastTag}` : ''));
    item.append(meta, element('div', 'eh-chat-body', message.body));
    if (mine) {
      const ack = element('div', 'eh-chat-ack small');
      setAcknowledged(ack, message.acknowledged_at);
      item.append(ack);
    }
    return item;
  }

  function setAcknowledged(node, at) {
    node.dataset.acknowledged = at ? 'true' : 'false';
    node.replaceChildren();
    const icon = element('i', at ? 'bi bi-check2-all' : 'bi bi-clock');
    icon.setAttribute('aria-hidden', 'true');
    node.append(icon, ` ${at ? format(t.acknowledged, { time: formatClock(at) }) : t.notAcknowledged}`);
  }

  function appendMessage(message) {
    const thread = document.getElementById('chat-thread');
    const id = message.id || message.message;
    if (thread.querySelector(`[data-message-id="${CSS.escape(id)}"]`)) {
      return;
    }
    thread.querySelector('.eh-chat-empty')?.remove();
    thread.append(renderMessage(message));
    thread.scrollTop = thread.scrollHeight;
  }

  async function openChat(tile) {
    chatTile = tile;
    const thread = document.getElementById('chat-thread');
    document.getElementById('chat-title').textContent = format(t.chatTitle, { name: tile.candidate });
    document.getElementById('chat-error').hidden = true;
    document.getElementById('chat-body').value = '';
    thread.replaceChildren();
    const dialog = document.getElementById('chat-modal');
    dialog.dataset.attemptId = tile.attempt_id;
    dialog.addEventListener('hidden.bs.modal', () => {
      chatTile = null;
      delete dialog.dataset.attemptId;
    }, { once: true });
    dialog.addEventListener('shown.bs.modal', () => document.getElementById('chat-body').focus(),
      { once: true });
    modal('chat-modal').show();
    try {
      const messages = await api.get(`console/attempts/${tile.attempt_id}/messages`);
      if (!messages.length) {
        thread.append(element('p', 'text-secondary eh-chat-empty', t.chatEmpty));
      }
      messages.forEach(appendMessage);
    } catch (failure) {
      thread.append(element('p', 'text-danger', failure.message || t.server));
    }
  }

  async function sendChat(event) {
    event.preventDefault();
    if (!chatTile) {
      return;
    }
    const input = document.getElementById('chat-body');
    const error = document.getElementById('chat-error');
    const body = input.value.trim();
    if (!body) {
      error.textContent = t.bodyRequired;
      error.hidden = false;
      return;
    }
    const button = document.getElementById('chat-send');
    button.disabled = true;
    try {
      const message = await api.post(`console/attempts/${chatTile.attempt_id}/messages`, { body });
      appendMessage(message);
      input.value = '';
      error.hidden = true;
      onChanged(chatTile.attempt_id, null);
    } catch (failure) {
      error.textContent = failure.message || t.server;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function chatEvent(event) {
    if (!chatTile || event.attempt !== chatTile.attempt_id) {
      return;
    }
    if (event.kind === 'console.message') {
      appendMessage(event);
    } else if (event.kind === 'console.acknowledged') {
      const node = document.querySelector(
        `#chat-thread [data-message-id="${CSS.escape(event.message)}"] .eh-chat-ack`);
      if (node) {
        setAcknowledged(node, event.at);
      }
    }
  }

  // --- identity ----------------------------------------------------------------

  async function openIdentity(tile) {
    const reference = document.getElementById('identity-reference');
    const frames = document.getElementById('identity-frames');
    const error = document.getElementById('identity-error');
    document.getElementById('identity-title').textContent = format(t.identityTitle, { name: tile.candidate });
    document.getElementById('identity-note').value = '';
    document.getElementById('identity-reason').textContent = '';
    document.getElementById('identity-score').textContent = '';
    reference.replaceChildren();
    frames.replaceChildren();
    error.hidden = true;
    const dialog = document.getElementById('identity-modal');
    const approve = document.getElementById('identity-approve');
    const reject = document.getElementById('identity-reject');
    approve.disabled = true;
    reject.disabled = true;
    modal('identity-modal').show();
    let review;
    try {
      review = (await api.get('proctor/identity-reviews'))
        .find((row) => row.attempt_id === tile.attempt_id);
    } catch (failure) {
      error.textContent = failure.message || t.server;
      error.hidden = false;
      return;
    }
    if (!review) {
      error.textContent = t.identityNone;
      error.hidden = false;
      return;
    }
    document.getElementById('identity-reason').textContent = review.message;
    if (review.reference_photo) {
      const img = element('img');
      img.addEventListener('error', () => img.replaceWith(
        element('div', 'eh-snapshot-missing', t.pictureMissing)), { once: true });
      img.src = review.reference_photo;
      img.alt = t.identityTitle.replace('{name}', tile.candidate);
      reference.append(img);
    } else {
      reference.append(element('p', 'text-secondary small', t.noPhoto));
    }
    for (const url of review.evidence.slice(0, 6)) {
      const img = element('img');
      img.alt = '';
      // A picture the storage does not serve here becomes a calm placeholder.
      img.addEventListener('error', () => img.replaceWith(
        element('div', 'eh-snapshot-missing', t.pictureMissing)), { once: true });
      img.src = url;
      frames.append(img);
    }
    document.getElementById('identity-score').textContent = review.distance === null
      ? t.identityNoDistance
      : format(t.identityDistance, { distance: review.distance.toFixed(2) });
    approve.disabled = false;
    reject.disabled = false;

    async function decide(decision) {
      const note = document.getElementById('identity-note').value.trim();
      if (decision === 'reject' && !note) {
        error.textContent = t.noteRequired;
        error.hidden = false;
        return;
      }
      approve.disabled = true;
      reject.disabled = true;
      try {
        const result = await api.post(`console/attempts/${tile.attempt_id}/identity`, { decision, note });
        modal('identity-modal').hide();
        toast(`${tile.candidate}: ${result.state_label}`);
        onChanged(tile.attempt_id, result);
      } catch (failure) {
        error.textContent = failure.message || t.server;
        error.hidden = false;
        approve.disabled = false;
        reject.disabled = false;
      }
    }
    const onApprove = () => decide('approve');
    const onReject = () => decide('reject');
    approve.addEventListener('click', onApprove);
    reject.addEventListener('click', onReject);
    dialog.addEventListener('hidden.bs.modal', () => {
      approve.removeEventListener('click', onApprove);
      reject.removeEventListener('click', onReject);
    }, { once: true });
  }

  // --- the room ---------------------------------------------------------------------

  async function broadcast() {
    const result = await ask({
      title: t.title_broadcast, text: t.text_broadcast, confirmLabel: t.send, body: true,
      submit: (values) => api.post(`console/rooms/${config.roomId}/broadcast`, { body: values.body }),
    });
    if (result) {
      toast(format(t.alertBroadcast, { count: result.recipients }));
    }
  }

  async function admitAll() {
    try {
      const admitted = await api.post(`console/rooms/${config.roomId}/admit-all`, {});
      toast(format(t.admitAllDone, { count: admitted.length }));
      admitted.forEach((row) => onChanged(row.attempt_id, row));
    } catch (failure) {
      toast(failure.message || t.server, 'danger');
    }
  }

  function irregularity(tile) {
    const form = document.getElementById('irregularity-form');
    const description = document.getElementById('irregularity-description');
    const error = document.getElementById('irregularity-error');
    document.getElementById('irregularity-about').textContent = tile
      ? format(t.irregularityAbout, { name: `${tile.candidate} (${tile.ticket_number})` })
      : t.irregularityRoom;
    description.value = '';
    error.hidden = true;
    async function onSubmit(event) {
      event.preventDefault();
      const text = description.value.trim();
      if (!text) {
        error.textContent = t.descriptionRequired;
        error.hidden = false;
        return;
      }
      try {
        await api.post(`console/rooms/${config.roomId}/irregularities`, {
          category: document.getElementById('irregularity-category').value,
          description: text,
          attempt_id: tile ? tile.attempt_id : null,
        });
        modal('irregularity-modal').hide();
        toast(t.reportFiled);
      } catch (failure) {
        error.textContent = failure.message || t.server;
        error.hidden = false;
      }
    }
    form.addEventListener('submit', onSubmit);
    document.getElementById('irregularity-modal').addEventListener('hidden.bs.modal',
      () => form.removeEventListener('submit', onSubmit), { once: true });
    modal('irregularity-modal').show();
  }

  /** One action on several tiles; resolves with the per-candidate outcomes (or null). */
  async function bulk(action, tiles, actionLabel) {
    const needs = BULK_NEEDS[action];
    const ids = tiles.map((tile) => tile.attempt_id).filter(Boolean);
    if (!needs || !ids.length) {
      return null;
    }
    return ask({
      title: format(t.title_bulk, { action: actionLabel, count: ids.length }),
      text: t.text_bulk, confirmLabel: actionLabel, danger: needs.danger,
      reason: needs.reason || null, minutes: needs.minutes, body: needs.body,
      submit: (values) => api.post(`console/rooms/${config.roomId}/bulk`, {
        action, attempt_ids: ids, body: values.body, reason: values.reason,
        minutes: needs.minutes ? values.minutes : 0,
      }),
    });
  }

  document.getElementById('chat-form')?.addEventListener('submit', sendChat);
  // A correction hides the last complaint.
  for (const [input, error] of [['identity-note', 'identity-error'], ['chat-body', 'chat-error'],
    ['action-reason', 'action-error'], ['action-body', 'action-error'],
    ['irregularity-description', 'irregularity-error']]) {
    document.getElementById(input)?.addEventListener('input', () => {
      document.getElementById(error).hidden = true;
    });
  }

  return { menuItems, fillMenu, run, openLive, broadcast, admitAll, irregularity, bulk, chatEvent, toast };
}
