/**
 * The proctor's live video of one candidate camera — static/console/live_viewer.js
 * (console/live_video.html; ADR 0010).
 *
 * Opens the signalling socket `/ws/video/watch/` (session cookie), asks to watch
 * `#live-app[data-attempt]`'s `data-camera`, and answers the candidate side's
 * WebRTC offer with a receive-only peer connection: the video appears in
 * `#live-video`. `#live-app[data-state]`: connecting | waiting | negotiating |
 * connected | retrying | stopped | refused | unsupported.
 *
 * It keeps trying on its own while not stopped: the socket reconnects with
 * back-off; a camera that does not answer, goes away or whose connection fails
 * is asked again after a pause. "Stop" hangs up (the candidate side closes its
 * peer connection; its camera and snapshots go on untouched); "Watch again"
 * starts over. Holds no state beyond this page.
 */

import { format, readJsonScript } from '../core/api.js';

const strings = readJsonScript('i18n');
const app = document.getElementById('live-app');
const video = document.getElementById('live-video');
const el = {
  status: document.getElementById('live-status'),
  detail: document.getElementById('live-detail'),
  connection: document.getElementById('live-connection'),
  size: document.getElementById('live-size'),
  duration: document.getElementById('live-duration'),
  overlayText: document.getElementById('live-overlay-text'),
  overlayIcon: document.getElementById('live-overlay-icon'),
  stop: document.getElementById('live-stop'),
  start: document.getElementById('live-start'),
};

const ANSWER_TIMEOUT_MS = 10000; // the camera should offer within this
const RETRY_MS = 4000; // before asking again after a failure
const FIRST_SOCKET_DELAY_MS = 1000;
const MAX_SOCKET_DELAY_MS = 20000;
const PING_EVERY_MS = 25000;

const state = {
  socket: null,
  socketDelay: FIRST_SOCKET_DELAY_MS,
  iceServers: [],
  session: null,
  pc: null,
  wanted: true, // false once the proctor pressed "stop"
  answerTimer: null,
  retryTimer: null,
  pingTimer: null,
  connectedAt: 0,
  signals: Promise.resolve(), // signals are handled one after the other
};

// --- what the page shows -----------------------------------------------------------

const OVERLAY_ICONS = {
  connecting: 'bi-hourglass-split',
  waiting: 'bi-camera-video',
  negotiating: 'bi-arrow-repeat',
  retrying: 'bi-arrow-repeat',
  stopped: 'bi-stop-circle',
  refused: 'bi-shield-lock',
  unsupported: 'bi-exclamation-triangle',
};

/** The short label of `appState` in the side card; `text` explains it (card and stage). */
function show(appState, text) {
  app.dataset.state = appState;
  const key = `label${appState.charAt(0).toUpperCase()}${appState.slice(1)}`;
  el.status.textContent = strings[key] || '';
  el.detail.textContent = text || '';
  el.overlayText.textContent = text || '';
  el.overlayIcon.className = `bi ${OVERLAY_ICONS[appState] || 'bi-camera-video'}`;
  const stopped = ['stopped', 'refused', 'unsupported'].includes(appState);
  el.status.classList.toggle('text-success', appState === 'connected');
  el.status.classList.toggle('text-secondary', stopped);
  el.stop.hidden = stopped;
  el.start.hidden = appState !== 'stopped';
}

function connectionText(connectionState) {
  const key = `state${connectionState.charAt(0).toUpperCase()}${connectionState.slice(1)}`;
  return strings[key] || connectionState;
}

function renderConnection() {
  const pc = state.pc;
  el.connection.textContent = pc ? connectionText(pc.connectionState) : connectionText('new');
  app.dataset.connection = pc ? pc.connectionState : 'new';
}

function renderSize() {
  el.size.textContent = video.videoWidth
    ? format(strings.size, { width: video.videoWidth, height: video.videoHeight }) : '—';
}

function renderDuration() {
  if (!state.connectedAt) {
    el.duration.textContent = '—';
    return;
  }
  const seconds = Math.floor((Date.now() - state.connectedAt) / 1000);
  el.duration.textContent = format(strings.duration,
    { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
}

// --- the signalling socket ---------------------------------------------------------------

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(message));
  }
}

function socketUrl(path) {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}

function openSocket() {
  show('connecting', strings.connecting);
  const socket = new WebSocket(socketUrl(app.dataset.socketPath));
  state.socket = socket;
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (socket === state.socket && message && typeof message === 'object') {
      onMessage(message);
    }
  });
  socket.addEventListener('close', (event) => {
    if (socket !== state.socket) {
      return;
    }
    state.socket = null;
    clearInterval(state.pingTimer);
    closePeer();
    state.session = null;
    if (event.code === 4403) {
      show('refused', strings.notAllowed);
      return;
    }
    const wait = state.socketDelay;
    state.socketDelay = Math.min(state.socketDelay * 2, MAX_SOCKET_DELAY_MS);
    if (state.wanted) {
      show('retrying', strings.connecting);
    }
    setTimeout(openSocket, wait);
  });
}

function onMessage(message) {
  switch (message.type) {
    case 'ready':
      state.socketDelay = FIRST_SOCKET_DELAY_MS;
      state.iceServers = Array.isArray(message.ice_servers) ? message.ice_servers : [];
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(() => send({ type: 'ping' }), PING_EVERY_MS);
      if (state.wanted) {
        watch();
      } else {
        show('stopped', strings.stopped);
      }
      break;
    case 'watching':
      state.session = message.session;
      break;
    case 'signal':
      if (message.session === state.session) {
        state.signals = state.signals.then(() => onSignal(message.data)).catch(() => retry('failed'));
      }
      break;
    case 'bye':
      if (message.session === state.session) {
        state.session = null;
        closePeer();
        retry(message.reason === 'camera_off' ? 'cameraOff' : 'cameraLeft');
      }
      break;
    case 'error':
      if (message.code === 'attempt_not_found') {
        state.wanted = false;
        show('refused', strings.notAllowed);
      }
      break;
    default:
  }
}

// --- watching ------------------------------------------------------------------------------

function watch() {
  clearTimeout(state.retryTimer);
  clearTimeout(state.answerTimer);
  closePeer();
  if (state.session) {
    send({ type: 'stop', session: state.session });
    state.session = null;
  }
  if (!state.wanted || !state.socket) {
    return;
  }
  show('waiting', strings.waiting);
  send({ type: 'watch', attempt: app.dataset.attempt, camera: app.dataset.camera });
  state.answerTimer = setTimeout(() => retry('noAnswer'), ANSWER_TIMEOUT_MS);
}

/** Ask again a little later, saying why (a key of the page's strings). */
function retry(reason) {
  clearTimeout(state.answerTimer);
  clearTimeout(state.retryTimer);
  if (!state.wanted) {
    return;
  }
  if (state.session) {
    send({ type: 'stop', session: state.session });
    state.session = null;
  }
  closePeer();
  show('retrying', strings[reason] || strings.failed);
  state.retryTimer = setTimeout(watch, RETRY_MS);
}

function createPeer() {
  const pc = new RTCPeerConnection({ iceServers: state.iceServers });
  const session = state.session;
  pc.addEventListener('icecandidate', (event) => {
    if (event.candidate && session === state.session) {
      send({ type: 'signal', session, data: { candidate: event.candidate.toJSON() } });
    }
  });
  pc.addEventListener('track', (event) => {
    const [stream] = event.streams;
    video.srcObject = stream || new MediaStream([event.track]);
    video.play().catch(() => {}); // muted: allowed to play
  });
  pc.addEventListener('connectionstatechange', () => {
    if (pc !== state.pc) {
      return;
    }
    renderConnection();
    if (pc.connectionState === 'connected') {
      clearTimeout(state.answerTimer);
      state.connectedAt = state.connectedAt || Date.now();
      show('connected', strings.live);
    } else if (pc.connectionState === 'failed') {
      retry('failed');
    }
  });
  state.pc = pc;
  renderConnection();
  return pc;
}

async function onSignal(data) {
  if (!data || typeof data !== 'object') {
    return;
  }
  if (data.sdp) {
    if (data.sdp.type !== 'offer') {
      return;
    }
    closePeer();
    const pc = createPeer();
    show('negotiating', strings.negotiating);
    await pc.setRemoteDescription(data.sdp);
    await pc.setLocalDescription(await pc.createAnswer());
    send({ type: 'signal', session: state.session, data: { sdp: pc.localDescription.toJSON() } });
  } else if (data.candidate && state.pc) {
    await state.pc.addIceCandidate(data.candidate);
  }
}

function closePeer() {
  if (state.pc) {
    const pc = state.pc;
    state.pc = null;
    pc.close();
  }
  video.srcObject = null;
  state.connectedAt = 0;
  renderConnection();
  renderSize();
  renderDuration();
}

function stop() {
  state.wanted = false;
  clearTimeout(state.answerTimer);
  clearTimeout(state.retryTimer);
  if (state.session) {
    send({ type: 'stop', session: state.session });
    state.session = null;
  }
  closePeer();
  show('stopped', strings.stopped);
}

function start() {
  state.wanted = true;
  watch();
}

// --- start ----------------------------------------------------------------------------------

if (typeof window.RTCPeerConnection !== 'function' || typeof window.WebSocket !== 'function') {
  show('unsupported', strings.unsupported);
} else {
  el.stop.addEventListener('click', stop);
  el.start.addEventListener('click', start);
  video.addEventListener('resize', renderSize);
  video.addEventListener('loadedmetadata', renderSize);
  setInterval(renderDuration, 1000);
  window.addEventListener('pagehide', () => {
    if (state.session) {
      send({ type: 'stop', session: state.session });
    }
  });
  openSocket();
}
