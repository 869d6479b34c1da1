/**
 * The candidate side of live video on demand — static/proctoring/live_sender.js
 * (ADR 0010). Started by the PC exam page's monitor (camera "pc") and by the paired
 * phone's monitor (camera "phone").
 *
 * `startLiveSender({camera, auth, getStream})` → `{stop}`.
 *
 * - Keeps a signalling socket open to `/ws/video/send/`, authenticated by the page's
 *   own credential in the first message (`auth`: `{type: "auth", token}` on the PC,
 *   `{type: "auth", credential}` on the phone); reconnects with back-off, never after
 *   4401/4410 (credential refused, phone replaced).
 * - When a proctor asks (`{"type": "request", session, ice_servers}`), sends the
 *   camera's EXISTING stream (`getStream()`: the one the monitor already shows and
 *   takes snapshots from; getUserMedia is never called here) over a send-only peer
 *   connection, video only, at most ~600 kbit/s and 15 frames/s (keeping the
 *   resolution rather than the frame rate when the line is thin), so that answers
 *   and snapshots keep their bandwidth. One peer connection per proctor watching.
 * - The offer and ICE candidates go through the socket; the proctor's answer and
 *   candidates come back the same way. "bye" from either side closes that peer
 *   connection only: the tracks are never stopped or changed here.
 * - If the monitor re-opens its camera (a new track), the new track is swapped in.
 *
 * Shows nothing on the page: watching must not disturb the candidate.
 */

const FINAL_CODES = new Set([4401, 4410]);
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const PING_EVERY_MS = 25000;
const TRACK_CHECK_MS = 3000;
const MAX_BITRATE = 600000;
const MAX_FRAMERATE = 15;
const PATH = '/ws/video/send/';

function socketUrl(path) {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}

function liveVideoTrack(stream) {
  const track = stream ? stream.getVideoTracks()[0] : null;
  return track && track.readyState === 'live' ? track : null;
}

/**
 * @param {object} options
 * @param {'pc'|'phone'} options.camera
 * @param {object} options.auth  the first message
 * @param {() => MediaStream|null} options.getStream  the camera's current stream
 */
export function startLiveSender({ camera, auth, getStream }) {
  if (typeof window.RTCPeerConnection !== 'function' || typeof window.WebSocket !== 'function') {
    return { stop() {} };
  }
  const peers = new Map(); // session → {pc, sender}
  let socket = null;
  let stopped = false;
  let delay = FIRST_DELAY_MS;
  let retryTimer = null;
  let pingTimer = null;
  const trackTimer = setInterval(swapEndedTracks, TRACK_CHECK_MS);

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  // --- peer connections ------------------------------------------------------------------

  function hangUp(session, { tell = true, reason = '' } = {}) {
    const peer = peers.get(session);
    if (!peer) {
      return;
    }
    peers.delete(session);
    peer.pc.close(); // closes the connection; the track itself goes on for the monitor
    if (tell) {
      send({ type: 'bye', session, reason });
    }
  }

  async function offer(session, iceServers) {
    const stream = getStream();
    const track = liveVideoTrack(stream);
    if (!track) {
      send({ type: 'bye', session, reason: 'camera_off' });
      return;
    }
    const pc = new RTCPeerConnection({ iceServers: Array.isArray(iceServers) ? iceServers : [] });
    const transceiver = pc.addTransceiver(track, {
      direction: 'sendonly',
      streams: [stream],
      sendEncodings: [{ maxBitrate: MAX_BITRATE, maxFramerate: MAX_FRAMERATE }],
    });
    peers.set(session, { pc, sender: transceiver.sender });
    preferResolution(transceiver.sender);
    pc.addEventListener('icecandidate', (event) => {
      if (event.candidate && peers.has(session)) {
        send({ type: 'signal', session, data: { candidate: event.candidate.toJSON() } });
      }
    });
    pc.addEventListener('connectionstatechange', () => {
      if (['failed', 'closed'].includes(pc.connectionState) && peers.get(session)?.pc === pc) {
        hangUp(session, { reason: pc.connectionState });
      }
    });
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: 'signal', session, data: { sdp: pc.localDescription.toJSON() } });
  }

  /** A proctor needs detail more than motion: on a thin line, fewer frames, same size. */
  function preferResolution(sender) {
    try {
      const parameters = sender.getParameters();
      parameters.degradationPreference = 'maintain-resolution';
      sender.setParameters(parameters).catch(() => {});
    } catch {
      // not supported here: the browser's balance applies
    }
  }

  async function onSignal(session, data) {
    const peer = peers.get(session);
    if (!peer || !data) {
      return;
    }
    if (data.sdp && data.sdp.type === 'answer') {
      await peer.pc.setRemoteDescription(data.sdp);
    } else if (data.candidate) {
      await peer.pc.addIceCandidate(data.candidate);
    }
  }

  /** The monitor opened its camera again: the proctors get the new track. */
  function swapEndedTracks() {
    const track = liveVideoTrack(getStream());
    if (!track) {
      return;
    }
    peers.forEach(({ sender }) => {
      if (sender.track !== track) {
        sender.replaceTrack(track).catch(() => {});
      }
    });
  }

  // Signals of one session are handled in order (the answer before its candidates).
  const queues = new Map();

  function inOrder(session, work) {
    const previous = queues.get(session) || Promise.resolve();
    const next = previous.then(work).catch(() => hangUp(session, { reason: 'error' }));
    queues.set(session, next);
    next.finally(() => {
      if (queues.get(session) === next) {
        queues.delete(session);
      }
    });
  }

  function onMessage(message) {
    const { session } = message;
    if (message.type === 'ready') {
      delay = FIRST_DELAY_MS;
    } else if (message.type === 'request' && session) {
      hangUp(session, { tell: false });
      inOrder(session, () => offer(session, message.ice_servers));
    } else if (message.type === 'signal' && session) {
      inOrder(session, () => onSignal(session, message.data));
    } else if (message.type === 'bye' && session) {
      hangUp(session, { tell: false });
    }
  }

  // --- the socket --------------------------------------------------------------------------

  function closeAllPeers() {
    [...peers.keys()].forEach((session) => hangUp(session, { tell: false }));
  }

  function open() {
    if (stopped) {
      return;
    }
    let current;
    try {
      current = new WebSocket(socketUrl(PATH));
    } catch {
      scheduleRetry();
      return;
    }
    socket = current;
    current.addEventListener('open', () => {
      current.send(JSON.stringify(auth));
      clearInterval(pingTimer);
      pingTimer = setInterval(() => send({ type: 'ping' }), PING_EVERY_MS);
    });
    current.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (current === socket && message && typeof message === 'object') {
        onMessage(message);
      }
    });
    current.addEventListener('close', (event) => {
      if (current !== socket) {
        return;
      }
      socket = null;
      clearInterval(pingTimer);
      closeAllPeers(); // the proctors' pages ask again once this side is back
      if (FINAL_CODES.has(event.code)) {
        stopped = true;
        clearInterval(trackTimer);
        return;
      }
      scheduleRetry();
    });
  }

  function scheduleRetry() {
    if (stopped) {
      return;
    }
    clearTimeout(retryTimer);
    const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    retryTimer = setTimeout(open, wait);
  }

  function retryNow() {
    if (!stopped && !socket) {
      delay = FIRST_DELAY_MS;
      open();
    }
  }

  window.addEventListener('online', retryNow);
  open();

  return {
    stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      clearInterval(trackTimer);
      window.removeEventListener('online', retryNow);
      [...peers.keys()].forEach((session) => hangUp(session));
      if (socket) {
        const current = socket;
        socket = null;
        current.close(1000);
      }
    },
  };
}
