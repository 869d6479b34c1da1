/**
 * Monitoring during the exam, on the PC exam page — static/proctoring/monitor.js.
 *
 * `startMonitoring({api, attemptId, strings, selfViewSlot, warning})` is called
 * by the exam page (delivery/exam.js) once the attempt is in progress, for an
 * exam that requires the device check. It returns `{stop, flush, retryCamera}`.
 *
 * - Camera and microphone: the devices the device check chose (localStorage
 *   `examhall.devicecheck.camera` / `.microphone`: device ids), or any. A
 *   small mirrored self-view (`#monitor`, `data-camera` starting | on | lost |
 *   unavailable) sits in `selfViewSlot` (the exam bar: CSS puts it in the
 *   bottom corner on a wide screen, tiny in the bar on a narrow one) and can
 *   be collapsed; the camera stays on.
 * - Snapshots: `POST /api/attempts/{id}/snapshots` (JPEG, quality 0.7, at most
 *   640 wide), the first one soon after start, then every `next_in_seconds`
 *   the server answers; one at once (`reason=event`) on a suspicious event,
 *   never before a 429's `retry_after_seconds`. A picture that could not be
 *   sent is dropped (the next one is taken after a back-off), never queued.
 * - Heartbeats every 10 s while the camera's track is live (`POST …/heartbeat`,
 *   whose answer is the state of both cameras); while it is not, `GET
 *   …/monitoring` instead, so the server sees the PC camera go silent.
 * - Browser events (focus, page visibility, full screen, copy/cut/paste,
 *   right-click, print, extra screen, voice): queued in memory and in
 *   localStorage (`examhall.monitor.events.<attempt>`), sent in batches of at
 *   most 100 every few seconds, at once for the important ones, with back-off
 *   while offline. Nothing is prevented: typing and pasting work as usual.
 * - `#camera-warning` (role=alert, `data-camera-pc` / `data-camera-phone`:
 *   the last states, connected | lost | not_connected, "lost" also when the
 *   PC camera's track ended here) says what happened and what to do, with a
 *   retry button for the PC camera; it clears itself once the camera is back.
 * - Voice: `./voice.js` (`VoiceMonitor`, on the microphone's stream) is loaded
 *   on its own; a voice it hears becomes a `voice_activity` event ({level,
 *   duration_ms}) and its WAV clip is posted to `…/audio-clips` (multipart
 *   `audio`), best-effort: a clip is never queued or retried.
 * - Live video: ./live_sender.js answers a proctor's request with this camera's
 *   stream (the same one, never a second getUserMedia), authenticated by the
 *   attempt token (`liveToken`, default: `#exam-app[data-token]`); ADR 0010.
 *
 * Network failures never reach the answer queue: this module has its own
 * timers and never waits on the exam page.
 */

import { remember, remembered } from '../core/storage.js';

const STORAGE_CAMERA = 'examhall.devicecheck.camera';
const STORAGE_MICROPHONE = 'examhall.devicecheck.microphone';
const STORAGE_COLLAPSED = 'examhall.monitor.collapsed';
const HEARTBEAT_MS = 10000;
const FIRST_SNAPSHOT_MS = 1500;
const DEFAULT_SNAPSHOT_MS = 15000;
const EVENT_SNAPSHOT_GAP_MS = 4000;
const EVENT_FLUSH_MS = 4000;
const URGENT_FLUSH_MS = 200;
const MAX_BACKOFF_MS = 60000;
const EVENTS_PER_BATCH = 100;
const MAX_KEPT_EVENTS = 500;
const SNAPSHOT_MAX_WIDTH = 640;
const SNAPSHOT_QUALITY = 0.7;
const FLUSH_WAIT_MS = 3000;

function backoff(baseMs, failures) {
  return failures > 0 ? Math.min(baseMs * 2 ** failures, MAX_BACKOFF_MS) : baseMs;
}

/** The attempt is over, or this page is no longer signed in: stop for good. */
function isFinal(error) {
  return error.status === 401 || error.status === 404 ||
    (error.status === 409 && error.code === 'attempt_not_in_progress');
}

function inTextField(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    Boolean(target && target.isContentEditable);
}

async function openStream(kind, deviceId) {
  const constraints = kind === 'video'
    ? { video: { width: { ideal: 640 }, height: { ideal: 480 },
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}) } }
    : { audio: deviceId ? { deviceId: { exact: deviceId } } : true };
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (error) {
    if (deviceId && ['OverconstrainedError', 'NotFoundError'].includes(error.name)) {
      return openStream(kind, ''); // the device chosen in the check is gone: any will do
    }
    throw error;
  }
}

function buildSelfView(strings) {
  const root = document.createElement('section');
  root.id = 'monitor';
  root.className = 'eh-monitor';
  root.dataset.camera = 'starting';
  root.setAttribute('aria-label', strings.monitorSelfView || '');
  const view = document.createElement('div');
  view.className = 'eh-monitor-view';
  view.id = 'monitor-view';
  const video = document.createElement('video');
  video.id = 'monitor-video';
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.setAttribute('aria-hidden', 'true');
  const off = document.createElement('i');
  off.className = 'bi bi-camera-video-off eh-monitor-off';
  off.setAttribute('aria-hidden', 'true');
  view.append(video, off);
  const bar = document.createElement('div');
  bar.className = 'eh-monitor-bar';
  const status = document.createElement('span');
  status.className = 'eh-monitor-status';
  const dot = document.createElement('span');
  dot.className = 'eh-monitor-dot';
  dot.setAttribute('aria-hidden', 'true');
  const label = document.createElement('span');
  label.className = 'eh-monitor-label';
  label.textContent = strings.monitorCameraOn || '';
  status.append(dot, label);
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.id = 'monitor-toggle';
  toggle.className = 'eh-monitor-toggle';
  toggle.setAttribute('aria-controls', view.id);
  const icon = document.createElement('i');
  icon.setAttribute('aria-hidden', 'true');
  toggle.append(icon);
  bar.append(status, toggle);
  root.append(view, bar);
  return { root, video, label, toggle, icon };
}

/**
 * @param {object} options
 * @param {{get: Function, post: Function}} options.api  the attempt's API client (core/api.js)
 * @param {string} options.attemptId
 * @param {Record<string, string>} options.strings  the page's translated strings (monitor*)
 * @param {HTMLElement} [options.selfViewSlot]  where the self-view goes (default: body)
 * @param {HTMLElement} [options.warning]  the `#camera-warning` element
 * @param {string} [options.pairingUrl]  the page that connects another phone
 * @param {string} [options.liveToken]  the attempt token for live video's signalling
 */
export function startMonitoring({ api, attemptId, strings = {}, selfViewSlot = null,
  warning = document.getElementById('camera-warning'), pairingUrl = '',
  liveToken = document.getElementById('exam-app')?.dataset.token || '' }) {
  const path = `attempts/${encodeURIComponent(attemptId)}`;
  const eventsKey = `examhall.monitor.events.${attemptId}`;
  const timers = new Set();
  const listeners = [];
  const ui = buildSelfView(strings);
  const canvas = document.createElement('canvas');

  const state = {
    stopped: false,
    videoStream: null,
    audioStream: null,
    camera: 'starting', // starting | on | lost | unavailable (here, in this browser)
    server: {}, // camera → connected | lost | not_connected, from the last answer
    snapshotFailures: 0,
    snapshotBusy: false,
    snapshotNotBefore: 0, // a 429 said so
    lastSnapshotAt: 0,
    eventSnapshotTimer: null,
    snapshotTimer: null,
    heartbeatTimer: null,
    heartbeatFailures: 0,
    events: [],
    nextEventId: 1,
    eventsBusy: null,
    eventFailures: 0,
    eventsBlockedUntil: 0,
    flushTimer: null,
    flushAt: 0,
    focusLostAt: null,
    hiddenAt: null,
    fullscreenEntered: false,
    screenExtended: false,
    voice: null,
    warningText: null,
    liveSender: null,
  };

  // --- timers and listeners (all undone by stop) ---------------------------------------

  function later(fn, ms) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!state.stopped) {
        fn();
      }
    }, ms);
    timers.add(timer);
    return timer;
  }

  function cancel(timer) {
    if (timer) {
      clearTimeout(timer);
      timers.delete(timer);
    }
  }

  function listen(target, type, handler, options) {
    if (!target || !target.addEventListener) {
      return;
    }
    target.addEventListener(type, handler, options);
    listeners.push([target, type, handler, options]);
  }

  // --- self-view ------------------------------------------------------------------------

  function renderToggle() {
    const collapsed = ui.root.classList.contains('is-collapsed');
    ui.toggle.setAttribute('aria-expanded', String(!collapsed));
    const text = collapsed ? strings.monitorShow : strings.monitorHide;
    ui.toggle.setAttribute('aria-label', text || '');
    ui.toggle.title = text || '';
    ui.icon.className = `bi ${collapsed ? 'bi-person-video' : 'bi-chevron-down'}`;
  }

  function setCollapsed(collapsed) {
    ui.root.classList.toggle('is-collapsed', collapsed);
    remember(STORAGE_COLLAPSED, collapsed ? '1' : null);
    renderToggle();
  }

  function setCamera(camera) {
    state.camera = camera;
    ui.root.dataset.camera = camera;
    ui.label.textContent = camera === 'on' || camera === 'starting'
      ? strings.monitorCameraOn || '' : strings.monitorCameraOff || '';
    renderWarning();
  }

  ui.root.classList.toggle('is-collapsed', remembered(STORAGE_COLLAPSED) === '1');
  renderToggle();
  listen(ui.toggle, 'click', () => setCollapsed(!ui.root.classList.contains('is-collapsed')));
  (selfViewSlot || document.body).append(ui.root);

  // --- the camera-lost warning ----------------------------------------------------------------

  const warningParts = {};

  function buildWarning() {
    if (!warning) {
      return;
    }
    warning.classList.add('eh-camera-warning');
    const inner = document.createElement('div');
    inner.className = 'eh-camera-warning-inner container-xl';
    const icon = document.createElement('i');
    icon.className = 'bi bi-camera-video-off eh-camera-warning-icon';
    icon.setAttribute('aria-hidden', 'true');
    const body = document.createElement('div');
    body.className = 'eh-camera-warning-body';
    warningParts.title = document.createElement('strong');
    warningParts.title.className = 'eh-camera-warning-title';
    warningParts.lines = document.createElement('div');
    warningParts.note = document.createElement('p');
    warningParts.note.className = 'eh-camera-warning-note';
    body.append(warningParts.title, warningParts.lines, warningParts.note);
    warningParts.retry = document.createElement('button');
    warningParts.retry.type = 'button';
    warningParts.retry.id = 'camera-retry';
    warningParts.retry.className = 'btn btn-sm btn-outline-dark eh-camera-retry';
    warningParts.retry.hidden = true;
    // A phone that cannot be revived: connect another one (the pairing page works
    // during the exam; the exam page is the way back).
    warningParts.pair = document.createElement('a');
    warningParts.pair.id = 'camera-pair-phone';
    warningParts.pair.className = 'btn btn-sm btn-outline-dark eh-camera-retry';
    warningParts.pair.href = pairingUrl;
    warningParts.pair.hidden = true;
    inner.append(icon, body, warningParts.retry, warningParts.pair);
    warning.replaceChildren(inner);
    listen(warningParts.retry, 'click', () => retryCamera());
  }

  function pcState() {
    if (state.camera === 'lost' || state.camera === 'unavailable') {
      return 'lost';
    }
    return state.server.pc || '';
  }

  function warningLines() {
    const lines = [];
    if (state.camera === 'unavailable') {
      lines.push(strings.monitorPcUnavailable);
    } else if (pcState() === 'lost') {
      lines.push(strings.monitorPcLost);
    }
    if (state.server.phone === 'lost') {
      lines.push(strings.monitorPhoneLost);
    }
    return lines.filter(Boolean);
  }

  function renderWarning() {
    if (!warning) {
      return;
    }
    warning.dataset.cameraPc = pcState();
    warning.dataset.cameraPhone = state.server.phone || '';
    const lines = warningLines();
    const retryShown = pcState() === 'lost' && !state.stopped;
    const retryText = state.camera === 'starting' ? strings.monitorRetrying : strings.monitorRetry;
    const pairShown = state.server.phone === 'lost' && !state.stopped && Boolean(pairingUrl);
    const key = JSON.stringify([lines, retryShown, retryText, pairShown]);
    if (key === state.warningText) {
      return; // unchanged: do not make screen readers announce it again
    }
    state.warningText = key;
    warningParts.title.textContent = strings.monitorWarningTitle || '';
    warningParts.lines.replaceChildren(...lines.map((line) => {
      const paragraph = document.createElement('p');
      paragraph.className = 'eh-camera-warning-text';
      paragraph.textContent = line;
      return paragraph;
    }));
    warningParts.note.textContent = strings.monitorKeepAnswering || '';
    warningParts.retry.hidden = !retryShown;
    warningParts.retry.disabled = state.camera === 'starting';
    warningParts.retry.textContent = retryText || '';
    warningParts.pair.hidden = !pairShown;
    warningParts.pair.textContent = strings.monitorPairPhone || '';
    warning.hidden = lines.length === 0 || state.stopped;
  }

  buildWarning();

  // --- camera and microphone -------------------------------------------------------------

  function videoTrack() {
    return state.videoStream ? state.videoStream.getVideoTracks()[0] || null : null;
  }

  function cameraLive() {
    const track = videoTrack();
    return Boolean(track && track.readyState === 'live');
  }

  function onTrackEnded() {
    if (state.stopped || state.camera === 'lost') {
      return;
    }
    setCamera('lost');
    heartbeatNow(); // from now on a poll: the server must see the PC camera go silent
  }

  /** A track stopped without its `ended` event (some browsers) is noticed here. */
  function noticeEndedTrack() {
    if (state.camera === 'on' && !cameraLive()) {
      onTrackEnded();
    }
  }

  async function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setCamera('unavailable');
      return false;
    }
    setCamera('starting');
    let stream;
    try {
      stream = await openStream('video', remembered(STORAGE_CAMERA));
    } catch {
      if (!state.stopped) {
        setCamera('unavailable');
      }
      return false;
    }
    if (state.stopped) {
      stream.getTracks().forEach((track) => track.stop());
      return false;
    }
    state.videoStream = stream;
    videoTrack()?.addEventListener('ended', onTrackEnded);
    ui.video.srcObject = stream;
    ui.video.play().catch(() => {}); // muted: autoplay is allowed; a refusal only hides the view
    setCamera('on');
    return true;
  }

  async function openMicrophone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return;
    }
    try {
      const stream = await openStream('audio', remembered(STORAGE_MICROPHONE));
      if (state.stopped) {
        stream.getTracks().forEach((track) => track.stop());
        return;
      }
      state.audioStream = stream;
      startVoice(stream);
    } catch {
      // No microphone: voices simply cannot be heard; the device check judged this.
    }
  }

  function closeCamera() {
    const track = videoTrack();
    if (track) {
      track.removeEventListener('ended', onTrackEnded);
    }
    state.videoStream?.getTracks().forEach((item) => item.stop());
    state.videoStream = null;
    ui.video.srcObject = null;
  }

  /** The warning's button: open the PC camera again, then tell the server at once. */
  async function retryCamera() {
    if (state.stopped || state.camera === 'starting') {
      return false;
    }
    closeCamera();
    const opened = await openCamera();
    if (opened) {
      heartbeatNow();
      snapshotSoon(FIRST_SNAPSHOT_MS);
    }
    return opened;
  }

  // --- snapshots ----------------------------------------------------------------------------

  function captureJpeg() {
    const video = ui.video;
    if (!cameraLive() || video.readyState < 2 || !video.videoWidth) {
      return Promise.resolve(null);
    }
    const scale = Math.min(1, SNAPSHOT_MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => {
      canvas.toBlob(resolve, 'image/jpeg', SNAPSHOT_QUALITY);
    });
  }

  /** Take and send one picture; resolves the server's next interval (ms) or null. */
  async function sendSnapshot(reason) {
    if (state.snapshotBusy || Date.now() < state.snapshotNotBefore) {
      return { sent: false, retryMs: Math.max(state.snapshotNotBefore - Date.now(), 1000) };
    }
    state.snapshotBusy = true;
    try {
      const blob = await captureJpeg();
      if (!blob || state.stopped) {
        return { sent: false, retryMs: null };
      }
      const form = new FormData();
      form.append('image', blob, 'snapshot.jpg');
      form.append('camera', 'pc');
      form.append('reason', reason);
      state.lastSnapshotAt = Date.now();
      const answer = await api.post(`${path}/snapshots`, form);
      state.snapshotFailures = 0;
      const seconds = Number(answer && answer.next_in_seconds);
      return { sent: true, nextMs: seconds > 0 ? seconds * 1000 : DEFAULT_SNAPSHOT_MS };
    } catch (error) {
      if (isFinal(error)) {
        stop({ finished: true });
        return { sent: false, retryMs: null };
      }
      if (error.status === 429) {
        const wait = Number(error.details && error.details.retry_after_seconds) || 5;
        state.snapshotNotBefore = Date.now() + wait * 1000;
        return { sent: false, retryMs: wait * 1000 };
      }
      state.snapshotFailures += 1; // the picture is dropped; a new one is taken later
      return { sent: false, retryMs: backoff(DEFAULT_SNAPSHOT_MS / 4, state.snapshotFailures) };
    } finally {
      state.snapshotBusy = false;
    }
  }

  function snapshotSoon(ms) {
    cancel(state.snapshotTimer);
    state.snapshotTimer = later(intervalSnapshot, ms);
  }

  async function intervalSnapshot() {
    state.snapshotTimer = null;
    const result = await sendSnapshot('interval');
    if (state.stopped) {
      return;
    }
    if (result.sent) {
      snapshotSoon(result.nextMs);
    } else {
      snapshotSoon(result.retryMs || DEFAULT_SNAPSHOT_MS);
    }
  }

  /** A picture at once on a suspicious event (one at a time, never sooner than the gap). */
  function eventSnapshot() {
    if (state.eventSnapshotTimer || state.stopped) {
      return; // one is already due
    }
    const wait = Math.max(0, state.lastSnapshotAt + EVENT_SNAPSHOT_GAP_MS - Date.now(),
      state.snapshotNotBefore - Date.now());
    state.eventSnapshotTimer = later(async () => {
      state.eventSnapshotTimer = null;
      await sendSnapshot('event');
    }, wait);
  }

  // --- heartbeats and the cameras' states ---------------------------------------------------

  function applyStatus(status) {
    const cameras = (status && Array.isArray(status.cameras)) ? status.cameras : [];
    const server = {};
    cameras.forEach((camera) => {
      server[camera.camera] = camera.state;
    });
    state.server = server;
    renderWarning();
  }

  async function heartbeat() {
    state.heartbeatTimer = null;
    noticeEndedTrack();
    try {
      const status = cameraLive()
        ? await api.post(`${path}/heartbeat`, { camera: 'pc' })
        : await api.get(`${path}/monitoring`);
      state.heartbeatFailures = 0;
      if (!state.stopped) {
        applyStatus(status);
      }
    } catch (error) {
      if (isFinal(error)) {
        stop({ finished: true });
        return;
      }
      state.heartbeatFailures += 1;
    }
    if (!state.stopped) {
      state.heartbeatTimer = later(heartbeat, backoff(HEARTBEAT_MS, state.heartbeatFailures));
    }
  }

  function heartbeatNow() {
    cancel(state.heartbeatTimer);
    state.heartbeatTimer = later(heartbeat, 0);
  }

  // --- browser events ---------------------------------------------------------------------

  function loadStoredEvents() {
    try {
      const stored = JSON.parse(remembered(eventsKey) || '[]');
      return Array.isArray(stored) ? stored.filter((item) => item && item.type) : [];
    } catch {
      return [];
    }
  }

  function persistEvents() {
    remember(eventsKey, state.events.length ? JSON.stringify(state.events) : null);
  }

  function scheduleFlush(ms) {
    const wait = Math.max(ms, state.eventsBlockedUntil - Date.now());
    const at = Date.now() + wait;
    if (state.flushTimer && state.flushAt <= at) {
      return;
    }
    cancel(state.flushTimer);
    state.flushAt = at;
    state.flushTimer = later(() => {
      state.flushTimer = null;
      sendEvents();
    }, wait);
  }

  /** Send what is queued, in batches; resolves once this round is over (never rejects). */
  function sendEvents() {
    if (state.eventsBusy) {
      return state.eventsBusy;
    }
    if (!state.events.length || state.stopped) {
      return Promise.resolve();
    }
    state.eventsBusy = (async () => {
      while (state.events.length && !state.stopped) {
        const batch = state.events.slice(0, EVENTS_PER_BATCH);
        const sentIds = new Set(batch.map((item) => item.id));
        try {
          await api.post(`${path}/events`, {
            events: batch.map(({ type, client_at: clientAt, details }) => ({
              type, client_at: clientAt, details,
            })),
          });
        } catch (error) {
          if (isFinal(error)) {
            stop({ finished: true });
            return;
          }
          if (error.status !== 422) {
            state.eventFailures += 1;
            const wait = backoff(EVENT_FLUSH_MS, state.eventFailures);
            state.eventsBlockedUntil = Date.now() + wait;
            scheduleFlush(wait);
            return;
          }
          // 422: the server will never take this batch; keep the rest flowing.
        }
        state.eventFailures = 0;
        state.eventsBlockedUntil = 0;
        state.events = state.events.filter((item) => !sentIds.has(item.id));
        persistEvents();
      }
    })().finally(() => {
      state.eventsBusy = null;
    });
    return state.eventsBusy;
  }

  /**
   * Queue one browser event. `urgent`: sent at once; `snapshot`: a picture is
   * taken at once as well.
   */
  function record(type, details = {}, { urgent = false, snapshot = false } = {}) {
    if (state.stopped) {
      return;
    }
    state.events.push({ id: state.nextEventId, type, client_at: new Date().toISOString(),
      details });
    state.nextEventId += 1;
    if (state.events.length > MAX_KEPT_EVENTS) {
      state.events.splice(0, state.events.length - MAX_KEPT_EVENTS); // the oldest go
    }
    persistEvents();
    scheduleFlush(urgent ? URGENT_FLUSH_MS : EVENT_FLUSH_MS);
    if (snapshot) {
      eventSnapshot();
    }
  }

  function elapsedSince(at) {
    return at === null ? undefined : Math.max(0, Math.round(Date.now() - at));
  }

  function onBlur() {
    state.focusLostAt = Date.now();
    record('focus_lost', { visible: document.visibilityState === 'visible' },
      { urgent: true, snapshot: true });
  }

  function onFocus() {
    if (state.focusLostAt === null) {
      return; // the page had not lost the focus (e.g. it never had it)
    }
    record('focus_regained', { away_ms: elapsedSince(state.focusLostAt) });
    state.focusLostAt = null;
  }

  function onVisibility() {
    if (document.visibilityState === 'hidden') {
      state.hiddenAt = Date.now();
      record('page_hidden', {}, { urgent: true });
    } else if (state.hiddenAt !== null) {
      record('page_visible', { hidden_ms: elapsedSince(state.hiddenAt) }, { snapshot: true });
      state.hiddenAt = null;
      heartbeatNow();
    }
  }

  function onFullscreen() {
    if (document.fullscreenElement) {
      state.fullscreenEntered = true;
      record('fullscreen_entered');
    } else if (state.fullscreenEntered) {
      state.fullscreenEntered = false;
      record('fullscreen_left', {}, { urgent: true, snapshot: true });
    }
  }

  function onClipboard(event) {
    const details = { in_text_field: inTextField(event.target) };
    if (event.type === 'paste') {
      const text = event.clipboardData ? event.clipboardData.getData('text') : '';
      details.length = text.length;
    } else {
      details.length = String(document.getSelection() || '').length;
    }
    record(event.type, details, { urgent: true, snapshot: event.type === 'paste' });
  }

  function onContextMenu(event) {
    record('context_menu', { in_text_field: inTextField(event.target) });
  }

  function onPrint() {
    record('print', {}, { urgent: true, snapshot: true });
  }

  function screenExtended() {
    const { screen } = window;
    return Boolean(screen && screen.isExtended === true);
  }

  function checkScreens(atStart) {
    const extended = screenExtended();
    if (extended && !state.screenExtended) {
      record('screen_extended', { at_start: atStart }, { urgent: true, snapshot: true });
    }
    state.screenExtended = extended;
  }

  function onOnline() {
    state.eventsBlockedUntil = 0;
    state.eventFailures = 0;
    state.heartbeatFailures = 0;
    state.snapshotFailures = 0;
    scheduleFlush(0);
    heartbeatNow();
  }

  // --- voice ----------------------------------------------------------------------------------

  /**
   * ./voice.js's VoiceMonitor on the microphone's stream (loaded on its own: a
   * failure there never stops the camera). Without `uploadClip`, it reports a
   * voice once its clip is recorded, with the clip: `{level, duration_ms,
   * clip?: Blob (WAV)}`.
   */
  async function startVoice(stream) {
    try {
      const { VoiceMonitor } = await import('./voice.js');
      if (state.stopped) {
        return;
      }
      state.voice = new VoiceMonitor({ stream, onVoice: onVoiceHeard });
      await state.voice.start();
    } catch {
      // best-effort: no voice monitoring in this browser
    }
  }

  function onVoiceHeard(heard = {}) {
    const level = Number(heard.level);
    const durationMs = Math.round(Number(heard.duration_ms ?? heard.durationMs) || 0);
    record('voice_activity', {
      level: Number.isFinite(level) ? Math.round(level * 1000) / 1000 : null,
      duration_ms: durationMs,
    }, { urgent: true });
    if (heard.clip instanceof Blob && heard.clip.size > 0) {
      uploadClip(heard.clip);
    }
  }

  async function uploadClip(clip) {
    const form = new FormData();
    form.append('audio', clip, 'clip.wav');
    try {
      await api.post(`${path}/audio-clips`, form);
    } catch {
      // best-effort: the event above is what matters; a clip is never queued
    }
  }

  // --- live video on demand (ADR 0010) ---------------------------------------------------------

  async function startLiveSender() {
    if (!liveToken || state.liveSender) {
      return;
    }
    try {
      const { startLiveSender: start } = await import('./live_sender.js');
      if (!state.stopped && !state.liveSender) {
        state.liveSender = start({
          camera: 'pc',
          auth: { type: 'auth', token: liveToken },
          getStream: () => state.videoStream,
        });
      }
    } catch {
      // best-effort: without it a proctor sees the snapshots only
    }
  }

  // --- start and stop ----------------------------------------------------------------------

  /** Send the queued events now (e.g. before submitting); waits at most a few seconds. */
  function flush() {
    return Promise.race([
      sendEvents(),
      new Promise((resolve) => {
        setTimeout(resolve, FLUSH_WAIT_MS);
      }),
    ]);
  }

  /** Stop everything; `finished`: the attempt is over, so what is queued is dropped. */
  function stop({ finished = false } = {}) {
    if (state.stopped) {
      return;
    }
    state.stopped = true;
    if (finished === true) {
      state.events = [];
      persistEvents();
    }
    timers.forEach((timer) => clearTimeout(timer));
    timers.clear();
    listeners.forEach(([target, type, handler, options]) => {
      target.removeEventListener(type, handler, options);
    });
    listeners.length = 0;
    try {
      state.voice?.stop?.();
    } catch {
      // nothing more to do
    }
    state.liveSender?.stop();
    state.liveSender = null;
    closeCamera();
    state.audioStream?.getTracks().forEach((track) => track.stop());
    state.audioStream = null;
    ui.root.remove();
    if (warning) {
      warning.hidden = true;
    }
  }

  state.events = loadStoredEvents();
  state.nextEventId = state.events.reduce((max, item) => Math.max(max, Number(item.id) || 0), 0)
    + 1;

  listen(window, 'blur', onBlur);
  listen(window, 'focus', onFocus);
  listen(document, 'visibilitychange', onVisibility);
  listen(document, 'fullscreenchange', onFullscreen);
  // Capture phase: seen even where the page stops the event (it is never prevented here).
  listen(document, 'copy', onClipboard, true);
  listen(document, 'cut', onClipboard, true);
  listen(document, 'paste', onClipboard, true);
  listen(document, 'contextmenu', onContextMenu, true);
  listen(window, 'beforeprint', onPrint);
  listen(window, 'online', onOnline);
  listen(window, 'pagehide', () => stop());
  if (window.screen && 'isExtended' in window.screen) {
    listen(window.screen, 'change', () => checkScreens(false));
  }
  if (document.visibilityState === 'hidden') {
    state.hiddenAt = Date.now();
  }
  state.fullscreenEntered = Boolean(document.fullscreenElement);

  checkScreens(true);
  if (state.events.length) {
    scheduleFlush(URGENT_FLUSH_MS); // left from before a reload or a lost connection
  }
  openCamera().then((opened) => {
    if (opened) {
      snapshotSoon(FIRST_SNAPSHOT_MS);
    }
    heartbeatNow();
    startLiveSender(); // also without a camera now: it answers "camera off" until retried
  });
  openMicrophone();

  return { stop, flush, retryCamera };
}
