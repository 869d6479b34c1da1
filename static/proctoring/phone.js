/**
 * The phone as second camera (proctoring/phone.html) — static/proctoring/phone.js.
 *
 * Opened from the QR code on the PC (`/m/<token>/`) or again at `/m/` by a phone
 * that holds its credential. Steps (`#phone-app[data-step]`):
 *
 * 1. `login`: ticket and ID number again → `POST /api/phone/pair`; the credential
 *    is kept in localStorage (`examhall.phone.credential`: `{pairing_id,
 *    credential}`), so a reload resumes (`GET /api/phone/session`).
 * 2. `checks`: the four checks with a live preview (front camera by default,
 *    "switch camera"): measured by ./phone_camera.js, judged by the server
 *    (`POST /api/phone/checks`).
 * 3. `place`: the placement guide with the live preview in a frame →
 *    `POST /api/phone/confirm`.
 * 4. `paired`: ./phone_monitor.js — connected / reconnecting / disconnected
 *    (`data-connection`), the exam's state, the last picture sent; heartbeats and,
 *    while the exam is monitored, pictures, retried with back-off after a network
 *    loss; the screen kept on; how long the camera was gone after a long absence.
 *
 * `message`: an expired, used or unknown code, or a pairing that ended (another
 * phone took over, the exam is over, unpaired on the PC) — `#phone-message
 * [data-reason]`. The websocket `/ws/phone/` brings `phone.ended` and
 * `attempt.state` at once (`#phone-app[data-live]`: the socket's state); HTTP
 * answers say the same a little later.
 */
import { createApiClient, format, readJsonScript } from '../core/api.js';
import { connectSocket } from '../core/socket.js';
import { createCamera } from './phone_camera.js';
import { createMonitor, forgetLastOk } from './phone_monitor.js';
import { remember, remembered } from '../core/storage.js';

const STORAGE_CREDENTIAL = 'examhall.phone.credential';
const STORAGE_FACING = 'examhall.phone.facing';

const strings = readJsonScript('i18n');
const app = document.getElementById('phone-app');
const { apiBase, token, pairingState, resumeUrl } = app.dataset;
const $ = (id) => document.getElementById(id);

const video = $('preview');
const videoHolder = $('video-holder');

const messages = { network: strings.network, server: strings.server };
const publicApi = createApiClient({ base: apiBase, messages });
let api = null; // with the phone credential

let credential = null; // {pairing_id, credential}
let session = null;
let facing = remembered(STORAGE_FACING) === 'environment' ? 'environment' : 'user';
let checksRunning = false;
let ended = false;
let socket = null;
let monitor = null;

const camera = createCamera({
  video,
  emptyBox: $('preview-empty'),
  emptyText: $('preview-empty-text'),
  strings,
  onEnded: () => {
    // The system stopped the camera (another app, the background on iOS): start it
    // again once the page is in front.
    if (monitor && monitor.running && document.visibilityState === 'visible') {
      camera.open(facing);
    }
  },
});

// --- storage ----------------------------------------------------------------------

function storedCredential() {
  try {
    const value = JSON.parse(remembered(STORAGE_CREDENTIAL) || 'null');
    return value && typeof value.credential === 'string' && value.credential ? value : null;
  } catch {
    return null;
  }
}

function useCredential(value) {
  credential = value;
  api = createApiClient({ base: apiBase, token: value.credential, messages });
  remember(STORAGE_CREDENTIAL, JSON.stringify(value));
}

function forgetCredential() {
  credential = null;
  remember(STORAGE_CREDENTIAL, null);
  forgetLastOk();
}

// --- small helpers ----------------------------------------------------------------

function showAlert(element, message) {
  element.textContent = message || '';
  element.hidden = !message;
}

// --- steps ------------------------------------------------------------------------

const SLOTS = { checks: 'checks', place: 'place', paired: 'paired' };

function showStep(step) {
  app.dataset.step = step;
  for (const section of app.querySelectorAll('.eh-phone-step')) {
    section.hidden = section.id !== `step-${step}`;
  }
  const slot = SLOTS[step] && app.querySelector(`[data-slot="${SLOTS[step]}"]`);
  if (slot) {
    slot.prepend(videoHolder);
    videoHolder.hidden = false;
  } else {
    videoHolder.hidden = true;
  }
  window.scrollTo(0, 0);
}

const MESSAGE_ICONS = {
  expired: 'bi-clock-history',
  used: 'bi-qr-code',
  unknown: 'bi-qr-code-scan',
  scan: 'bi-qr-code-scan',
  replaced: 'bi-phone-flip',
  finished: 'bi-check-circle',
  unpaired: 'bi-phone',
};

function showMessage(reason, serverText = '') {
  const [title, text] = (strings.messages && strings.messages[reason]) || ['', ''];
  $('phone-message').dataset.reason = reason;
  $('phone-message-icon').className =
    `bi ${MESSAGE_ICONS[reason] || 'bi-phone'} eh-phone-message-icon is-${reason}`;
  $('message-title').textContent = title;
  $('message-text').textContent = serverText || text;
  showStep('message');
}

/** The pairing is over for this phone: stop everything and say why. */
function end(reason, serverText = '') {
  ended = true;
  if (monitor) {
    monitor.stop();
  }
  if (socket) {
    socket.close();
    socket = null;
  }
  camera.stop();
  forgetCredential();
  showMessage(reason, serverText);
}

/**
 * An answer that ends this phone's part: 410 (ended), 401/404 (the credential is
 * not valid or names no pairing). True when handled.
 */
function handledAsFinal(error) {
  if (error.status === 410 && error.code === 'pairing_ended') {
    end(String((error.details && error.details.reason) || 'unpaired'), error.message);
    return true;
  }
  if (error.status === 401 || (error.status === 404 && error.code === 'pairing_not_found')) {
    end('scan');
    return true;
  }
  if (error.status === 409 && error.code === 'attempt_finished') {
    end('finished', error.message);
    return true;
  }
  return false;
}

// --- 1: sign in -----------------------------------------------------------------

const form = $('login-form');
const loginButton = $('login-button');
const loginSpinner = loginButton.querySelector('.spinner-border');
const fields = { ticket_number: $('ticket_number'), id_number: $('id_number') };
let lockedUntil = 0;
let countdownTimer = null;

function setLoginBusy(busy) {
  loginSpinner.hidden = !busy;
  loginButton.disabled = busy || Date.now() < lockedUntil;
}

function loginError(message) {
  $('login-error-message').textContent = message;
  $('login-error').hidden = !message;
}

function markInvalid(name, message = '') {
  const input = fields[name];
  if (!input) {
    return;
  }
  input.classList.add('is-invalid');
  input.setAttribute('aria-invalid', 'true');
  if (message) {
    $(`${name}-feedback`).textContent = message;
  }
}

function clearInvalid() {
  for (const input of Object.values(fields)) {
    input.classList.remove('is-invalid');
    input.removeAttribute('aria-invalid');
  }
  loginError('');
}

function lockFor(seconds) {
  lockedUntil = Date.now() + Math.max(1, Math.ceil(seconds)) * 1000;
  clearInterval(countdownTimer);
  const retry = $('login-retry');
  const tick = () => {
    const left = Math.ceil((lockedUntil - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(countdownTimer);
      retry.hidden = true;
      setLoginBusy(false);
      return;
    }
    retry.textContent = format(strings.retryIn,
      { time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` });
    retry.hidden = false;
    loginButton.disabled = true;
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
}

fields.id_number.addEventListener('blur', () => {
  fields.id_number.value = fields.id_number.value.replace(/\s+/g, '').toUpperCase();
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!loginSpinner.hidden || Date.now() < lockedUntil) {
    return;
  }
  clearInvalid();
  const values = {
    token,
    ticket_number: fields.ticket_number.value.trim(),
    id_number: fields.id_number.value.replace(/\s+/g, '').toUpperCase(),
  };
  if (!values.ticket_number || !values.id_number) {
    if (!values.ticket_number) {
      markInvalid('ticket_number', strings.ticketRequired);
    }
    if (!values.id_number) {
      markInvalid('id_number', strings.idRequired);
    }
    loginError(strings.fillIn);
    (values.ticket_number ? fields.id_number : fields.ticket_number).focus();
    return;
  }
  setLoginBusy(true);
  try {
    const paired = await publicApi.post('phone/pair', values);
    useCredential({ pairing_id: paired.pairing_id, credential: paired.credential });
    session = paired;
    // The code is used up: a reload goes to /m/ and resumes with the credential.
    window.history.replaceState(null, '', resumeUrl);
    setLoginBusy(false);
    openSocket();
    showChecks(true);
  } catch (error) {
    setLoginBusy(false);
    const reason = { pairing_expired: 'expired', pairing_used: 'used',
      pairing_not_found: 'unknown' }[error.code];
    if (reason) {
      showMessage(reason, error.message);
      return;
    }
    if (error.code === 'attempt_finished') {
      showMessage('finished', error.message);
      return;
    }
    loginError(error.message || strings.server);
    const details = error.details || {};
    if (error.status === 429) {
      lockFor(Number(details.retry_after_seconds) || 60);
    } else if (error.status === 422 && Array.isArray(details.fields)) {
      for (const item of details.fields) {
        markInvalid(String(item.field || '').split('.').pop());
      }
    } else if (error.code === 'login_failed') {
      fields.ticket_number.focus();
    }
  }
});

// --- 2: the checks ------------------------------------------------------------------

const checkList = $('phone-checks');
const ICONS = {
  pending: 'bi bi-hourglass-split eh-check-icon is-pending',
  passed: 'bi bi-check-circle-fill eh-check-icon is-passed',
  failed: 'bi bi-x-circle-fill eh-check-icon is-failed',
  warning: 'bi bi-exclamation-triangle-fill eh-check-icon is-warning',
};

function setCheck(check, status, { detail = '', problems = [] } = {}) {
  const element = checkList.querySelector(`[data-check="${check}"]`);
  if (!element) {
    return;
  }
  element.dataset.status = status;
  element.querySelector('.eh-check-icon').className = ICONS[status] || ICONS.pending;
  const state = element.querySelector('[data-role="state"]');
  state.textContent = strings[status] || strings.checking;
  state.className = `small ${{ passed: 'text-success', failed: 'text-danger',
    warning: 'eh-text-warning' }[status] || 'text-body-secondary'}`;
  const detailLine = element.querySelector('[data-role="detail"]');
  detailLine.textContent = detail;
  detailLine.hidden = !detail;
  const list = element.querySelector('[data-role="problems"]');
  list.replaceChildren(...problems.map((problem) => {
    const line = document.createElement('li');
    line.dataset.code = problem.code;
    line.textContent = problem.message;
    return line;
  }));
  list.hidden = problems.length === 0;
}

function showChecks(run) {
  showStep('checks');
  if (run) {
    runChecks();
  }
}

async function runChecks() {
  if (checksRunning || ended) {
    return;
  }
  checksRunning = true;
  delete app.dataset.checksPassed;
  for (const element of checkList.querySelectorAll('[data-check]')) {
    setCheck(element.dataset.check, 'pending');
  }
  $('to-placement').hidden = true;
  $('checks-again').disabled = true;
  $('switch-camera').disabled = true;
  showAlert($('checks-error'), '');
  $('checks-status').textContent = strings.running;
  try {
    const { measurements, details } = await camera.measure(facing);
    const result = await api.post('phone/checks', measurements);
    for (const verdict of result.verdicts) {
      setCheck(verdict.check, verdict.status,
        { detail: details[verdict.check] || '', problems: verdict.problems || [] });
    }
    app.dataset.checksPassed = String(Boolean(result.passed));
    $('checks-status').textContent = result.passed ? strings.allPassed : strings.notPassed;
    $('to-placement').hidden = !result.passed;
  } catch (error) {
    $('checks-status').textContent = '';
    if (!handledAsFinal(error)) {
      showAlert($('checks-error'), error.message || strings.server);
    }
  } finally {
    checksRunning = false;
    $('checks-again').disabled = false;
    $('switch-camera').disabled = false;
  }
}

$('checks-again').addEventListener('click', () => runChecks());
$('switch-camera').addEventListener('click', () => {
  facing = facing === 'user' ? 'environment' : 'user';
  remember(STORAGE_FACING, facing);
  runChecks();
});
$('to-placement').addEventListener('click', () => showStep('place'));
$('back-to-checks').addEventListener('click', () => showChecks(false));

// --- 3: placement -----------------------------------------------------------------

const confirmButton = $('confirm-button');
confirmButton.addEventListener('click', async () => {
  const spinner = confirmButton.querySelector('.spinner-border');
  confirmButton.disabled = true;
  spinner.hidden = false;
  showAlert($('place-error'), '');
  try {
    Object.assign(session, await api.post('phone/confirm', {}));
    enterPaired();
  } catch (error) {
    if (!handledAsFinal(error)) {
      showAlert($('place-error'), error.message || strings.server);
      if (error.code === 'phone_checks_not_passed') {
        showChecks(true);
      }
    }
  } finally {
    confirmButton.disabled = false;
    spinner.hidden = true;
  }
});

// --- 4: paired --------------------------------------------------------------------------

function enterPaired() {
  showStep('paired');
  if (!monitor) {
    monitor = createMonitor({
      app,
      api,
      session,
      camera,
      video,
      strings,
      pairingId: credential.pairing_id,
      facing: () => facing,
      isFinal: handledAsFinal,
      onFinished: () => end('finished'),
      onSuccess: () => socket && socket.retryNow(),
    });
  }
  monitor.start();
}

$('replace-placement').addEventListener('click', () => showStep('place'));

// --- the websocket -----------------------------------------------------------------------

function openSocket() {
  if (socket || ended) {
    return;
  }
  socket = connectSocket({
    path: '/ws/phone/',
    auth: { type: 'auth', credential: credential.credential },
    onEvent: (message) => {
      if (message.kind === 'phone.ended') {
        end(String(message.reason || 'unpaired'));
      } else if (message.kind === 'attempt.state' && monitor) {
        monitor.heartbeat(); // the server says whether to send pictures now
      }
    },
    onStatus: (status) => {
      app.dataset.live = status;
      if (status === 'ready' && monitor) {
        monitor.heartbeat(); // whatever happened while the socket was away
      } else if (status === 'stopped' && !ended) {
        socket = null;
        // Ended (4410) or not valid (4401): the session says why (and a socket
        // refused by mistake is tried again a little later).
        setTimeout(checkSession, 2000);
      }
    },
  });
}

async function checkSession() {
  try {
    Object.assign(session, await api.get('phone/session'));
    openSocket();
  } catch (error) {
    handledAsFinal(error);
  }
}

// --- start ------------------------------------------------------------------------------

async function resume(stored) {
  useCredential(stored);
  let wait = 1000;
  for (;;) {
    try {
      session = await api.get('phone/session');
      break;
    } catch (error) {
      if (handledAsFinal(error)) {
        return;
      }
      $('step-loading').querySelector('span:last-child').textContent =
        error.message || strings.server;
      await new Promise((resolve) => {
        setTimeout(resolve, wait);
      });
      wait = Math.min(wait * 2, 15000);
    }
  }
  openSocket();
  if (session.state === 'confirmed') {
    enterPaired();
  } else {
    showChecks(true);
  }
}

function start() {
  if (pairingState === 'valid') {
    showStep('login'); // a fresh code: a new pairing, even if this phone had an older one
    return;
  }
  const stored = storedCredential();
  if (stored) {
    resume(stored);
    return;
  }
  showMessage(pairingState || 'scan');
}

start();
