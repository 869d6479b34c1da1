/**
 * Device-check page (delivery/check.html) — static/delivery/check.js.
 *
 * Shows the checks the exam requires with their state, as the server sees
 * them: `POST /api/attempts/{id}/checks` re-evaluates them and is polled
 * every 5 s while the attempt is not ready. `#start-button` is enabled only
 * when the server says `can_start`; it calls `POST .../start` and goes to the
 * exam page (a 409 message goes to `#check-error`). An attempt already
 * started goes straight to the exam page; a finished one to the done page.
 * The attempt's websocket (`/ws/attempts/`) re-evaluates at once when the
 * phone's pairing or the attempt's state changes (the phone turns the second
 * camera green without waiting for the poll, which stays as a fallback).
 * Where the exam needs a proctor's admission, the "admission" check waits with
 * its detail text ("wait for the proctor…", or the refusal and its reason) and
 * turns green on the `attempt.state` the admission sends.
 * The proctor's messages and "Ask the proctor" come from ./proctor_messages.js,
 * fed by the same socket and caught up on every (re)connection.
 */
import { createApiClient, readJsonScript } from '../core/api.js';
import { connectSocket } from '../core/socket.js';
import { createProctorMessages } from './proctor_messages.js';

const POLL_MS = 5000;

const strings = readJsonScript('i18n');
const app = document.getElementById('check-app');
const { attemptId, token, examUrl, doneUrl } = app.dataset;
const list = document.getElementById('checks');
const loading = document.getElementById('checks-loading');
const noChecks = document.getElementById('no-checks');
const errorBox = document.getElementById('check-error');
const statusLine = document.getElementById('check-status');
const startButton = document.getElementById('start-button');
const startSpinner = startButton.querySelector('.spinner-border');

const api = createApiClient({
  base: app.dataset.apiBase,
  token,
  messages: { network: strings.network, server: strings.server },
});
const attemptPath = `attempts/${encodeURIComponent(attemptId)}`;

let canStart = false;
let starting = false;
let finished = false;
let pollTimer = null;
let startError = false; // a refusal of "start" stays visible until the next try

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

function renderCheck(check) {
  const item = document.createElement('li');
  item.className = 'list-group-item px-0';
  item.dataset.checkName = check.name;
  item.dataset.passed = String(Boolean(check.passed));

  const icon = document.createElement('i');
  icon.className = check.passed
    ? 'bi bi-check-circle-fill eh-check-icon is-passed'
    : 'bi bi-hourglass-split eh-check-icon is-pending';
  icon.setAttribute('aria-hidden', 'true');

  const body = document.createElement('div');
  const title = document.createElement('div');
  title.className = 'fw-semibold';
  title.textContent = check.label;
  const state = document.createElement('div');
  state.className = `small ${check.passed ? 'text-success' : 'text-body-secondary'}`;
  state.textContent = check.passed ? strings.passed : strings.pending;
  body.append(title, state);
  if (check.detail) {
    const detail = document.createElement('div');
    detail.className = 'small text-body-secondary mt-1';
    detail.textContent = check.detail;
    body.append(detail);
  }
  item.append(icon, body);
  if (check.action_url && !check.passed) {
    // A check done on a page of its own (device check, identity verification).
    const action = document.createElement('a');
    action.className = 'btn btn-outline-primary btn-sm ms-auto align-self-center eh-check-action';
    action.href = check.action_url;
    action.textContent = check.action_label || strings.open;
    item.append(action);
  }
  return item;
}

function render(view) {
  loading.hidden = true;
  const checks = Array.isArray(view.checks) ? view.checks : [];
  list.replaceChildren(...checks.map(renderCheck));
  list.hidden = checks.length === 0;
  noChecks.hidden = checks.length !== 0;
  canStart = Boolean(view.can_start);
  startButton.disabled = !canStart || starting;
  if (canStart) {
    statusLine.textContent = strings.ready;
  } else {
    statusLine.textContent = view.state === 'awaiting_admission'
      ? strings.awaitingAdmission : strings.waiting;
  }
}

/** Leave the page if the attempt is past the check stage. */
function followState(view) {
  if (view.state === 'in_progress' || view.state === 'paused') {
    finished = true;
    window.location.replace(examUrl);
    return true;
  }
  if (view.state === 'submitted' || view.state === 'graded') {
    finished = true;
    window.location.replace(doneUrl);
    return true;
  }
  if (view.state === 'voided') {
    finished = true;
    loading.hidden = true;
    startButton.disabled = true;
    statusLine.textContent = '';
    showError(strings.voided);
    return true;
  }
  return false;
}

function schedulePoll() {
  clearTimeout(pollTimer);
  if (!finished && !canStart) {
    pollTimer = setTimeout(refresh, POLL_MS);
  }
}

async function refresh() {
  try {
    const view = await api.post(`${attemptPath}/checks`);
    if (followState(view)) {
      return;
    }
    if (!startError) {
      showError('');
    }
    render(view);
  } catch (error) {
    loading.hidden = true;
    showError(error.message || strings.server);
    if (error.status === 401 || error.status === 404) {
      finished = true; // signed out or not this browser's attempt: stop polling
      return;
    }
  }
  schedulePoll();
}

// Inside the exam client: its environment report has just been judged by the server
// (static/lockdown/client_bridge.js); show the check list's new state at once.
document.addEventListener('examhall:client-environment', () => {
  if (!finished && !starting) {
    clearTimeout(pollTimer);
    refresh();
  }
});

startButton.addEventListener('click', async () => {
  if (!canStart || starting) {
    return;
  }
  starting = true;
  startButton.disabled = true;
  startSpinner.hidden = false;
  statusLine.textContent = strings.starting;
  startError = false;
  showError('');
  try {
    const view = await api.post(`${attemptPath}/start`);
    if (!followState(view)) {
      render(view);
    }
  } catch (error) {
    startError = true;
    showError(error.message || strings.server);
    canStart = false;
    statusLine.textContent = strings.waiting;
  } finally {
    if (!finished) {
      starting = false;
      startSpinner.hidden = true;
      startButton.disabled = !canStart;
      schedulePoll();
    }
  }
});

refresh();

const proctorMessages = createProctorMessages({
  api, attemptId, lang: document.documentElement.lang || undefined,
});

connectSocket({
  path: '/ws/attempts/',
  auth: { type: 'auth', token },
  onEvent: (message) => {
    if (proctorMessages.handleEvent(message)) {
      return;
    }
    if (!finished && !starting
        && (message.kind === 'phone.pairing' || message.kind === 'attempt.state')) {
      clearTimeout(pollTimer);
      refresh();
    }
  },
  onStatus: (status) => {
    app.dataset.live = status; // "ready" while events arrive (tests wait for it)
    if (status === 'ready' && !finished) {
      proctorMessages.catchUp();
    }
  },
});
