/**
 * The paired phone at work (proctoring/phone.html, step "paired") —
 * static/proctoring/phone_monitor.js.
 *
 * `createMonitor({app, api, session, camera, video, strings, pairingId, isFinal,
 * onFinished})` → `{start, stop, heartbeat}`. Once started it
 *
 * - posts a heartbeat every `session.heartbeat_seconds` (`POST /api/phone/heartbeat`,
 *   before the exam too); its answer says whether the exam is monitored;
 * - while monitored, posts a JPEG (≤ 640 px wide) every `phone_interval_seconds`
 *   (`POST /api/phone/snapshots`; 409 before the start or after the end: wait);
 * - shows the connection (`#phone-app[data-connection]`: connecting | connected |
 *   reconnecting | disconnected — the last once failing longer than the grace
 *   period), retrying with back-off (1 s doubling up to the heartbeat interval),
 *   at once when the browser is back online or the page visible again;
 * - keeps the screen on with the Screen Wake Lock, re-acquired when the page is
 *   visible again; where there is none or it is refused (WeChat, older Safari)
 *   `#wake-guidance` says how to keep the screen on;
 * - tells the candidate how long the camera was gone (`#away-warning`) when the
 *   page comes back after longer than the grace period: hidden, asleep, offline,
 *   or closed (the last success is kept in localStorage `examhall.phone.last_ok`).
 * - answers a proctor's request for live video with the camera's stream (the one the
 *   video element shows; ./live_sender.js, ADR 0010), authenticated by the phone
 *   credential the page keeps (`examhall.phone.credential`).
 *
 * `isFinal(error)` lets the page handle an answer that ends the pairing (true:
 * stop here); `onFinished()` is called when the exam is over.
 */
import { format } from '../core/api.js';
import { captureJpeg } from '../core/media.js';

const STORAGE_LAST_OK = 'examhall.phone.last_ok';
const STORAGE_CREDENTIAL = 'examhall.phone.credential'; // written by phone.js
const FINISHED_STATES = new Set(['submitted', 'graded', 'voided']);
const SNAPSHOT_RETRY_MS = 3000;
const FIRST_SNAPSHOT_MS = 1000;

function readLastOk(pairingId) {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_LAST_OK) || 'null');
    return value && value.pairing_id === pairingId ? Number(value.at) || 0 : 0;
  } catch {
    return 0;
  }
}

function writeLastOk(pairingId, at) {
  try {
    localStorage.setItem(STORAGE_LAST_OK, JSON.stringify({ pairing_id: pairingId, at }));
  } catch {
    // private mode: a closed page is not noticed on return
  }
}

function storedCredential() {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_CREDENTIAL) || 'null');
    return value && typeof value.credential === 'string' ? value.credential : '';
  } catch {
    return '';
  }
}

export function forgetLastOk() {
  try {
    localStorage.removeItem(STORAGE_LAST_OK);
  } catch {
    // nothing stored
  }
}

export function createMonitor({
  app, api, session, camera, video, strings, pairingId, facing,
  isFinal = () => false, onFinished = () => {}, onSuccess = () => {},
}) {
  const $ = (id) => document.getElementById(id);
  let running = false;
  let heartbeatTimer = null;
  let snapshotTimer = null;
  let tickTimer = null;
  let failures = 0;
  let lastOkAt = 0;
  let failingSince = 0;
  let hiddenAt = 0;
  let snapshotsSent = 0;
  let lastSnapshotAt = null;
  let wakeLock = null;
  let liveSender = null;

  const graceMs = () => (session.grace_seconds || 60) * 1000;

  function duration(ms) {
    const total = Math.max(1, Math.round(ms / 1000));
    if (total < 60) {
      return format(strings.seconds, { seconds: total });
    }
    return format(strings.minutesSeconds,
      { minutes: Math.floor(total / 60), seconds: total % 60 });
  }

  // --- what the page shows ----------------------------------------------------------

  function renderConnection() {
    let state = 'connected';
    if (failingSince) {
      state = Date.now() - failingSince > graceMs() ? 'disconnected' : 'reconnecting';
    } else if (!lastOkAt) {
      state = 'connecting';
    }
    $('connection-panel').dataset.connection = state;
    app.dataset.connection = state;
    $('connection-icon').className = `bi eh-phone-connection-icon ${{
      connected: 'bi-check-circle-fill',
      connecting: 'bi-arrow-repeat',
      reconnecting: 'bi-arrow-repeat',
      disconnected: 'bi-wifi-off',
    }[state]}`;
    $('paired-title').textContent = strings[state];
    $('connection-detail').textContent = {
      connected: strings.connectedDetail,
      connecting: '',
      reconnecting: strings.reconnectingDetail,
      disconnected: format(strings.disconnectedDetail,
        { time: duration(Date.now() - failingSince) }),
    }[state];
  }

  function renderExamState() {
    const state = session.attempt_state;
    let text = strings.stateWaiting;
    if (FINISHED_STATES.has(state)) {
      text = strings.stateOver;
    } else if (state === 'in_progress') {
      text = strings.stateInProgress;
    } else if (state === 'paused') {
      text = strings.statePaused;
    }
    const element = $('exam-state');
    element.textContent = text;
    element.dataset.state = state;
    element.dataset.monitoring = String(Boolean(session.monitoring));
    $('paired-exam-name').textContent = session.exam ? session.exam.name : '';
    $('paired-candidate').textContent = session.candidate_name || '';
    $('paired-ticket').textContent = session.ticket_number || '';
  }

  function renderLastSnapshot() {
    const line = $('last-snapshot');
    line.dataset.count = String(snapshotsSent);
    let text = strings.noSnapshot;
    if (lastSnapshotAt) {
      text = format(strings.lastSnapshot, {
        time: lastSnapshotAt.toLocaleTimeString(document.documentElement.lang || undefined,
          { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
      });
    } else if (session.monitoring) {
      text = strings.firstSnapshot;
    }
    line.textContent = text;
  }

  function showAway(ms) {
    $('away-warning-text').textContent = format(strings.away, { time: duration(ms) });
    $('away-warning').hidden = false;
  }

  // --- the connection ----------------------------------------------------------------

  function connectionOk() {
    const now = Date.now();
    if (lastOkAt && now - lastOkAt > graceMs()) {
      showAway(now - lastOkAt); // silent too long (asleep, offline, throttled)
    }
    lastOkAt = now;
    failingSince = 0;
    failures = 0;
    writeLastOk(pairingId, now);
    renderConnection();
    onSuccess();
  }

  function connectionFailing() {
    if (!failingSince) {
      failingSince = Date.now();
    }
    renderConnection();
  }

  function ensureCamera() {
    if (!camera.isLive()) {
      return camera.open(facing());
    }
    return Promise.resolve();
  }

  // --- heartbeats and pictures -------------------------------------------------------

  function applyAttempt(state, monitoring) {
    session.attempt_state = state;
    session.monitoring = Boolean(monitoring);
    renderExamState();
    renderLastSnapshot();
    if (FINISHED_STATES.has(state)) {
      onFinished();
      return;
    }
    if (session.monitoring && !snapshotTimer) {
      scheduleSnapshot(FIRST_SNAPSHOT_MS);
    } else if (!session.monitoring) {
      clearTimeout(snapshotTimer);
      snapshotTimer = null;
    }
  }

  function scheduleHeartbeat(ms) {
    clearTimeout(heartbeatTimer);
    heartbeatTimer = running ? setTimeout(heartbeat, ms) : null;
  }

  async function heartbeat() {
    clearTimeout(heartbeatTimer);
    if (!running) {
      return;
    }
    const every = (session.heartbeat_seconds || 10) * 1000;
    try {
      const beat = await api.post('phone/heartbeat', {});
      if (!running) {
        return;
      }
      connectionOk();
      applyAttempt(beat.attempt_state, beat.monitoring);
      scheduleHeartbeat(every);
    } catch (error) {
      if (!running || isFinal(error)) {
        return;
      }
      if (error.isTransient) {
        connectionFailing();
      }
      failures += 1;
      scheduleHeartbeat(Math.min(1000 * 2 ** failures, every));
    }
  }

  function scheduleSnapshot(ms) {
    clearTimeout(snapshotTimer);
    snapshotTimer = running ? setTimeout(snapshot, ms) : null;
  }

  async function snapshot() {
    if (!running || !session.monitoring) {
      snapshotTimer = null;
      return;
    }
    const interval = (session.phone_interval_seconds || 20) * 1000;
    await ensureCamera();
    const image = await captureJpeg(video, { maxWidth: 640, quality: 0.7 });
    if (!image) {
      scheduleSnapshot(SNAPSHOT_RETRY_MS);
      return;
    }
    const body = new FormData();
    body.append('image', image, 'phone.jpg');
    body.append('reason', 'interval');
    try {
      const sent = await api.request('POST', 'phone/snapshots', body);
      if (!running) {
        return;
      }
      snapshotsSent += 1;
      lastSnapshotAt = sent.taken_at ? new Date(sent.taken_at) : new Date();
      connectionOk();
      renderLastSnapshot();
      scheduleSnapshot((sent.next_in_seconds || session.phone_interval_seconds || 20) * 1000);
    } catch (error) {
      if (!running || isFinal(error)) {
        return;
      }
      if (error.code === 'attempt_not_in_progress') {
        session.monitoring = false; // before the start or after the end: the heartbeat says
        snapshotTimer = null;
        heartbeat();
        return;
      }
      if (error.isNetwork) {
        connectionFailing();
      }
      scheduleSnapshot(error.status === 429 ? interval : SNAPSHOT_RETRY_MS);
    }
  }

  // --- keeping the screen on ------------------------------------------------------------

  function showWake(on) {
    const line = $('wake-line');
    line.dataset.wake = on ? 'on' : 'off';
    const icon = document.createElement('i');
    icon.className = `bi ${on ? 'bi-brightness-high-fill' : 'bi-exclamation-triangle-fill'} me-1`;
    icon.setAttribute('aria-hidden', 'true');
    line.replaceChildren(icon, document.createTextNode(on ? strings.wakeOn : strings.wakeOff));
    $('wake-guidance').hidden = on;
  }

  async function keepAwake() {
    if (!running || wakeLock) {
      return;
    }
    if (!('wakeLock' in navigator)) {
      showWake(false);
      return;
    }
    try {
      wakeLock = await navigator.wakeLock.request('screen');
      showWake(true);
      wakeLock.addEventListener('release', () => {
        wakeLock = null; // released when hidden; taken again when visible
      });
    } catch {
      wakeLock = null;
      showWake(false);
    }
  }

  function releaseWakeLock() {
    if (wakeLock) {
      wakeLock.release().catch(() => {});
      wakeLock = null;
    }
  }

  // --- the page's own events ------------------------------------------------------------

  function onVisibility() {
    if (document.visibilityState === 'hidden') {
      hiddenAt = Date.now();
      return;
    }
    if (hiddenAt && Date.now() - hiddenAt > graceMs()) {
      showAway(Date.now() - hiddenAt);
    }
    hiddenAt = 0;
    keepAwake();
    ensureCamera();
    heartbeat();
  }

  function onOnline() {
    heartbeat();
  }

  function onOffline() {
    connectionFailing();
  }

  // --- live video on demand (ADR 0010) -----------------------------------------------------

  async function startLiveSender() {
    const credential = storedCredential();
    if (!credential || liveSender) {
      return;
    }
    try {
      const { startLiveSender: start } = await import('./live_sender.js');
      if (running && !liveSender) {
        liveSender = start({
          camera: 'phone',
          auth: { type: 'auth', credential },
          getStream: () => (video.srcObject instanceof MediaStream ? video.srcObject : null),
        });
      }
    } catch {
      // best-effort: without it a proctor sees the snapshots only
    }
  }

  // --- start and stop ---------------------------------------------------------------------

  /** Show the current state (again, after the placement guide was opened). */
  function render() {
    renderExamState();
    renderLastSnapshot();
    renderConnection();
    ensureCamera();
  }

  function start() {
    render();
    if (running) {
      return;
    }
    running = true;
    const previous = readLastOk(pairingId);
    if (previous && Date.now() - previous > graceMs()) {
      showAway(Date.now() - previous); // the page was closed or the phone was off
    }
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    window.addEventListener('pagehide', releaseWakeLock);
    keepAwake();
    heartbeat();
    startLiveSender();
    tickTimer = setInterval(() => {
      if (failingSince) {
        renderConnection(); // the time without a connection goes on
      }
    }, 1000);
  }

  function stop() {
    running = false;
    clearTimeout(heartbeatTimer);
    clearTimeout(snapshotTimer);
    clearInterval(tickTimer);
    snapshotTimer = null;
    document.removeEventListener('visibilitychange', onVisibility);
    window.removeEventListener('online', onOnline);
    window.removeEventListener('offline', onOffline);
    window.removeEventListener('pagehide', releaseWakeLock);
    releaseWakeLock();
    liveSender?.stop();
    liveSender = null;
  }

  return {
    start,
    stop,
    render,
    heartbeat,
    get running() {
      return running;
    },
  };
}
