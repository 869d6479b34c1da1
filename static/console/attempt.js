/**
 * The candidate detail page — static/console/attempt.js (/console/attempts/<id>/).
 *
 * The timeline itself is drawn by the server; this module keeps the header alive
 * (state and time left, against the server's clock, frozen while paused), offers
 * the proctor's actions (static/console/actions.js), confirms or dismisses flags
 * with a note (`POST /api/console/flags/<id>`) and, listening to the room's
 * websocket, says when new evidence arrived for this candidate.
 */

import { createApiClient, readJsonScript } from '../core/api.js';
import { createActions } from './actions.js';
import { connectConsole } from './console_socket.js';
import { createServerClock, formatRemaining } from './time_left.js';

const config = readJsonScript('console-config');
const t = readJsonScript('console-i18n');
const api = createApiClient({ base: config.api, csrf: true, messages: t });
const clock = createServerClock();
const root = document.getElementById('console-attempt');

const GROUPS = {
  registered: 'not_started', checking: 'checking', device_check: 'checking',
  identity_check: 'checking', identity_review: 'awaiting', awaiting_admission: 'awaiting',
  ready: 'ready', in_progress: 'in_exam', paused: 'paused', submitted: 'finished',
  graded: 'finished', voided: 'finished',
};

const attempt = {
  attempt_id: config.attemptId,
  candidate: document.getElementById('candidate-name').textContent.trim(),
  ticket_number: '',
  state: config.state,
  deadline: config.deadline,
  paused_at: config.pausedAt,
};

function render() {
  root.dataset.state = attempt.state;
  const badge = document.getElementById('detail-state');
  badge.textContent = config.stateLabels[attempt.state] || attempt.state;
  badge.className = `badge eh-state fs-6 eh-state-${GROUPS[attempt.state] || 'checking'}`;
  renderTime();
}

function renderTime() {
  const node = document.getElementById('detail-time');
  if (attempt.state !== 'in_progress' && attempt.state !== 'paused') {
    node.textContent = '';
    return;
  }
  const ms = clock.remainingMs(attempt.deadline, attempt.state === 'paused' ? attempt.paused_at : null);
  node.textContent = ms <= 0 && attempt.state === 'in_progress' ? t.timeUp : formatRemaining(ms);
  node.dataset.paused = String(attempt.state === 'paused');
  node.dataset.low = String(attempt.state === 'in_progress' && ms < 5 * 60000);
}

/** The attempt's state and deadline as the server knows them now. */
async function refresh() {
  const started = Date.now();
  try {
    const overview = await api.get(`console/rooms/${config.roomId}`);
    clock.sync(overview.server_now, started);
    const tile = overview.tiles.find((row) => row.attempt_id === config.attemptId);
    if (tile) {
      Object.assign(attempt, { state: tile.state, deadline: tile.deadline,
        paused_at: tile.paused_at, ticket_number: tile.ticket_number });
      render();
    }
  } catch {
    // the header keeps its last values; the next event or reload tries again
  }
}

// Events caused by this page's own action do not count as "new evidence".
const OWN_ECHO_MS = 3000;
let ownActionAt = 0;

const actions = createActions({ api, config, t, onChanged: () => {
  ownActionAt = Date.now();
  refresh();
} });

document.querySelector('.eh-detail-actions').addEventListener('click', (event) => {
  const button = event.target.closest('[data-action]');
  if (button) {
    actions.run(button.dataset.action, attempt);
  }
});
document.getElementById('detail-menu').addEventListener('show.bs.dropdown', () => {
  actions.fillMenu(document.getElementById('detail-actions'), attempt);
});

// Flags: confirm or dismiss with a note.
document.getElementById('flag-list')?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const item = form.closest('[data-flag-id]');
  const decision = event.submitter?.value || 'confirm';
  const note = form.elements.note.value.trim();
  const error = form.querySelector('.eh-flag-error');
  if (decision === 'dismiss' && !note) {
    error.textContent = t.dismissNote;
    error.hidden = false;
    return;
  }
  form.querySelectorAll('button').forEach((button) => { button.disabled = true; });
  ownActionAt = Date.now();
  try {
    const flag = await api.post(`console/flags/${item.dataset.flagId}`, { decision, note });
    item.dataset.status = flag.status;
    const status = item.querySelector('.eh-flag-status');
    status.dataset.status = flag.status;
    status.replaceChildren();
    const strong = document.createElement('strong');
    strong.textContent = flag.status === 'confirmed' ? t.flagConfirmed : t.flagDismissed;
    status.append(strong, flag.resolution_note ? `: ${flag.resolution_note}` : '');
    form.remove();
  } catch (failure) {
    error.textContent = failure.message || t.server;
    error.hidden = false;
    form.querySelectorAll('button').forEach((button) => { button.disabled = false; });
  }
});

function onEvent(event) {
  if (event.attempt !== config.attemptId) {
    return;
  }
  actions.chatEvent(event);
  if (event.kind === 'attempt.state') {
    if (event.state === 'paused' && attempt.state !== 'paused') {
      attempt.paused_at = new Date(clock.now()).toISOString();
    }
    attempt.state = event.state;
    if (event.deadline !== undefined) {
      attempt.deadline = event.deadline;
    }
    render();
    refresh();
  }
  const echo = Date.now() - ownActionAt < OWN_ECHO_MS && (event.kind === 'console.action'
    || event.kind === 'attempt.state' || (event.kind === 'proctoring.flag' && !event.new)
    || (event.kind === 'console.message' && event.sender === 'proctor'));
  if (!echo && ['snapshot.new', 'proctoring.flag', 'attempt.state', 'console.message',
    'console.acknowledged', 'console.action'].includes(event.kind)) {
    document.getElementById('new-evidence').hidden = false;
  }
}

function setConnection(status) {
  const badge = document.getElementById('connection');
  badge.dataset.status = status;
  document.getElementById('connection-text').textContent = { live: t.live, connecting: t.connecting,
    retrying: t.reconnecting, stopped: t.stopped }[status] || status;
}

render();
refresh();
setInterval(renderTime, 1000);
connectConsole({ path: config.socketPath, rooms: [config.roomId], onEvent,
  onStatus: setConnection, onSubscribed: () => refresh() });
