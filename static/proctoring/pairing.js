/**
 * The PC's phone-pairing page (proctoring/pairing.html) — static/proctoring/pairing.js.
 *
 * Shows a QR code for the phone (`POST /api/attempts/{id}/phone-pairing`: the SVG
 * is made by the server with segno and is the only server HTML inserted; the link
 * is shown as text with a copy button), counts down its ten minutes (by the
 * server's clock) and offers a new one. The status list (phone connected →
 * checks passed → placement confirmed, `#pairing-status [data-step][data-done]`)
 * follows `GET …/phone-pairing`, re-read at once when the attempt's websocket
 * (`/ws/attempts/`) says `phone.pairing`, and polled as a fallback (5 s without
 * the socket, 15 s with it). `#pairing-app[data-state]` is the pairing's state,
 * `[data-live]` the socket's (connecting | ready | retrying | stopped).
 * "Disconnect the phone" is `POST …/phone-pairing/end`.
 */
import { createApiClient, format, readJsonScript } from '../core/api.js';
import { connectSocket } from '../core/socket.js';

const POLL_MS = 5000;
const POLL_WITH_SOCKET_MS = 15000;
const PAIRED_STATES = new Set(['connected', 'checked', 'confirmed']);
const PRE_START_STATES = new Set(['registered', 'checking', 'device_check', 'identity_check',
  'identity_review', 'ready']);

const strings = readJsonScript('i18n');
const app = document.getElementById('pairing-app');
const { attemptId, token, apiBase } = app.dataset;
const $ = (id) => document.getElementById(id);

const qrFrame = $('qr-frame');
const qrBox = $('qr-box');
const qrCover = $('qr-cover');
const qrLoading = $('qr-loading');
const expiryLine = $('qr-expiry');
const linkInput = $('phone-link');
const copyButton = $('copy-link');
const newButton = $('new-qr');
const unpairButton = $('unpair-button');
const errorBox = $('pairing-error');

const api = createApiClient({
  base: apiBase,
  token,
  messages: { network: strings.network, server: strings.server },
});
const pairingPath = `attempts/${encodeURIComponent(attemptId)}/phone-pairing`;

let qr = null; // the code this page made: {pairingId, url, expiresAt (local ms)}
let view = null;
let clockOffset = 0; // server time − local time, ms
let pollTimer = null;
let busy = false;
let socket = null;
let generation = 0; // bumped by each new code: older GET answers are dropped

function showError(message) {
  errorBox.textContent = message || '';
  errorBox.hidden = !message;
}

function serverNow() {
  return Date.now() + clockOffset;
}

function localTime(iso) {
  return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined,
    { hour: '2-digit', minute: '2-digit' });
}

// --- rendering ------------------------------------------------------------------------

const ICON_DONE = 'bi bi-check-circle-fill eh-check-icon is-passed';
const ICON_WAIT = 'bi bi-hourglass-split eh-check-icon is-pending';

function setStatus(step, done, detail) {
  const item = app.querySelector(`#pairing-status [data-step="${step}"]`);
  item.dataset.done = String(done);
  item.querySelector('.eh-check-icon').className = done ? ICON_DONE : ICON_WAIT;
  const line = item.querySelector('[data-role="detail"]');
  line.textContent = detail;
  line.className = `small ${done ? 'text-success' : 'text-body-secondary'}`;
}

function renderStatus(state) {
  const paired = PAIRED_STATES.has(state);
  const checked = state === 'checked' || state === 'confirmed';
  const confirmed = state === 'confirmed';
  setStatus('connected', paired, paired
    ? (view.phone_browser ? format(strings.connectedBrowser, { browser: view.phone_browser })
      : strings.connected)
    : (state === 'waiting' ? strings.waiting : ''));
  setStatus('checked', checked, checked ? strings.passed
    : (paired ? strings.checksRunning : ''));
  setStatus('confirmed', confirmed, confirmed
    ? format(strings.confirmedAt, { time: localTime(view.confirmed_at) })
    : (checked ? strings.place : ''));
}

function cover(kind, title, text) {
  qrFrame.dataset.qr = kind;
  qrCover.hidden = false;
  $('qr-cover-icon').className = `bi eh-qr-cover-icon ${{
    expired: 'bi-clock-history',
    paired: 'bi-phone-fill',
    replaced: 'bi-qr-code',
    ended: 'bi-phone',
  }[kind]}`;
  $('qr-cover-title').textContent = title;
  $('qr-cover-text').textContent = text;
  expiryLine.hidden = true;
  linkInput.value = '';
  copyButton.disabled = true;
  $('qr-link-block').hidden = true;
}

function renderQr(state) {
  qrLoading.hidden = true;
  const ours = qr && view.pairing_id === qr.pairingId;
  if (state === 'waiting' && ours && qr.expiresAt > Date.now()) {
    qrFrame.dataset.qr = 'shown';
    qrCover.hidden = true;
    $('qr-link-block').hidden = false;
    linkInput.value = qr.url;
    copyButton.disabled = false;
    renderExpiry();
  } else if (PAIRED_STATES.has(state)) {
    cover('paired', view.phone_browser
      ? format(strings.connectedBrowser, { browser: view.phone_browser }) : strings.pairedTitle,
    strings.pairedText);
  } else if (state === 'waiting') {
    cover('replaced', strings.replacedTitle, strings.replacedText);
  } else if (state === 'ended') {
    cover('ended', strings.endedTitle, strings.expiredText);
  } else {
    cover('expired', strings.expiredTitle, strings.expiredText);
  }
}

function renderExpiry() {
  if (!qr || qrFrame.dataset.qr !== 'shown') {
    return;
  }
  const left = Math.ceil((qr.expiresAt - Date.now()) / 1000);
  if (left <= 0) {
    refresh(); // the server says "expired"; until then the cover says it
    cover('expired', strings.expiredTitle, strings.expiredText);
    return;
  }
  expiryLine.textContent = format(strings.validFor,
    { time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` });
  expiryLine.hidden = false;
  expiryLine.classList.toggle('text-danger', left <= 60);
}

function render(next) {
  view = next;
  clockOffset = Date.parse(next.server_now) - Date.now() || 0;
  const { state } = next;
  app.dataset.state = state;
  app.dataset.phoneCamera = next.phone_camera;
  renderStatus(state);
  renderQr(state);
  const confirmed = state === 'confirmed';
  $('phone-lost').hidden = !(confirmed && next.phone_camera === 'lost');
  $('back-button').hidden = !confirmed;
  $('back-link').hidden = confirmed;
  unpairButton.hidden = !PAIRED_STATES.has(state);
  newButton.disabled = busy;
  let summary = strings.summaryWaiting;
  if (confirmed) {
    summary = strings.summaryConfirmed;
  } else if (PAIRED_STATES.has(state)) {
    summary = strings.summaryConnected;
  } else if (state === 'expired') {
    summary = strings.summaryExpired;
  } else if (state === 'ended') {
    summary = strings.summaryEnded;
  }
  $('pairing-summary').textContent = summary;
}

// --- talking to the server ---------------------------------------------------------------

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(refresh, socket && socket.connected ? POLL_WITH_SOCKET_MS : POLL_MS);
}

function handle(error) {
  showError(error.message || strings.server);
  if (error.code === 'attempt_finished') {
    // Over: the page itself knows where to go.
    window.location.reload();
  }
}

async function refresh() {
  clearTimeout(pollTimer);
  const asked = generation;
  try {
    const next = await api.get(pairingPath);
    if (asked !== generation) {
      return; // a new code was made meanwhile: this answer is older than what is shown
    }
    showError('');
    render(next);
  } catch (error) {
    if (error.status === 401 || error.status === 404) {
      showError(error.message || strings.server);
      return; // signed out or not this browser's attempt: stop
    }
    showError(error.message || strings.network);
  }
  schedulePoll();
}

async function createQr() {
  if (busy) {
    return;
  }
  busy = true;
  newButton.disabled = true;
  qrLoading.hidden = false;
  try {
    const made = await api.post(pairingPath);
    generation += 1;
    clockOffset = Date.parse(made.server_now) - Date.now() || 0;
    qr = {
      pairingId: made.pairing_id,
      url: made.url,
      expiresAt: Date.parse(made.expires_at) - clockOffset,
    };
    qrBox.innerHTML = made.qr_svg || ''; // segno's SVG, made by the server
    showError('');
    busy = false;
    render(made);
  } catch (error) {
    busy = false;
    qrLoading.hidden = true;
    handle(error);
    if (view) {
      render(view);
    } else {
      newButton.disabled = false;
    }
  }
  schedulePoll();
}

async function unpair() {
  if (!window.confirm(strings.unpairConfirm)) {
    return;
  }
  unpairButton.disabled = true;
  try {
    render(await api.post(`${pairingPath}/end`));
    showError('');
  } catch (error) {
    handle(error);
  } finally {
    unpairButton.disabled = false;
  }
}

async function copyLink() {
  const status = $('copy-status');
  try {
    await navigator.clipboard.writeText(linkInput.value);
    status.textContent = strings.copied;
  } catch {
    linkInput.focus();
    linkInput.select();
    // old browsers and plain http: no Clipboard API
    status.textContent = document.execCommand && document.execCommand('copy')
      ? strings.copied : strings.copyFailed;
  }
  setTimeout(() => {
    status.textContent = '';
  }, 3000);
}

// --- start --------------------------------------------------------------------------------

newButton.addEventListener('click', createQr);
unpairButton.addEventListener('click', unpair);
copyButton.addEventListener('click', copyLink);
linkInput.addEventListener('focus', () => linkInput.select());
setInterval(renderExpiry, 1000);

socket = connectSocket({
  path: '/ws/attempts/',
  auth: { type: 'auth', token },
  onEvent: (message) => {
    if (message.kind === 'phone.pairing') {
      refresh();
    } else if (message.kind === 'attempt.state' && message.state
               && !PRE_START_STATES.has(message.state)) {
      window.location.reload(); // started or over: the server sends the page on
    }
  },
  onStatus: (status) => {
    app.dataset.live = status;
    if (status === 'ready') {
      refresh(); // anything missed while the socket was away
    }
  },
});

(async () => {
  try {
    const current = await api.get(pairingPath);
    // A code on show cannot be shown again (only its digest is kept): make a new one,
    // unless a phone is already paired.
    if (PAIRED_STATES.has(current.state)) {
      render(current);
      schedulePoll();
    } else {
      view = current;
      await createQr();
    }
  } catch (error) {
    qrLoading.hidden = true;
    handle(error);
    schedulePoll();
  }
})();
