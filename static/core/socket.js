/**
 * A small reconnecting websocket for the pages' live updates — static/core/socket.js.
 *
 * `connectSocket({path, auth, onEvent, onStatus})` opens `ws(s)://<this host><path>`,
 * sends the `auth` message (`{"type":"auth","token":…}` on the PC pages,
 * `{"type":"auth","credential":…}` on the phone) and calls:
 *
 * - `onStatus(status, detail)` with "connecting" | "ready" (the server said
 *   `{"type":"ready"}`) | "retrying" (closed; `detail.inMs` until the next try)
 *   | "stopped" (the server ended it for good: `detail.code` 4401 bad
 *   credentials, 4410 ended);
 * - `onEvent(message)` for every `{"type":"event", …}` after "ready";
 * - `onMessage(message)` for every other message but `pong` (e.g. the console's
 *   `subscribed` and `error`).
 *
 * `handshake` replaces the first-message scheme where a socket has another one (the
 * proctor console: cookie-authenticated, one `subscribe` per room): called at every
 * opening, it returns `{messages, ready(message)}` — what to send, and which answer
 * makes the socket ready. `finalCodes` are the close codes never retried.
 * After a close it tries again with back-off (1 s doubling to 30 s, with jitter),
 * at once when the browser says it is back online or the page becomes visible;
 * never after 4401 or 4410. While open it sends `{"type":"ping"}` every 25 s and
 * starts again when no `pong` comes back within 10 s. `close()` stops it for good.
 *
 * Holds no page state; the pages decide what the events mean.
 */

const FINAL_CODES = new Set([4401, 4410]);
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const READY_TIMEOUT_MS = 15000;
// A socket can die silently (a phone leaving Wi-Fi): a ping that gets no pong ends it.
const PING_EVERY_MS = 25000;
const PONG_TIMEOUT_MS = 10000;

export function socketUrl(path) {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}

/**
 * @param {object} options
 * @param {string} options.path e.g. "/ws/attempts/"
 * @param {object} [options.auth] the first message, e.g. {type: "auth", token}
 * @param {() => {messages: object[], ready: (message: object) => boolean}} [options.handshake]
 * @param {Set<number>} [options.finalCodes] close codes after which it stops
 * @param {(message: object) => void} [options.onEvent]
 * @param {(message: object) => void} [options.onMessage]
 * @param {(status: string, detail?: object) => void} [options.onStatus]
 */
export function connectSocket({
  path,
  auth = null,
  handshake = () => ({ messages: [auth], ready: (message) => message.type === 'ready' }),
  finalCodes = FINAL_CODES,
  onEvent = () => {},
  onMessage = () => {},
  onStatus = () => {},
}) {
  let socket = null;
  let stopped = false;
  let delay = FIRST_DELAY_MS;
  let retryTimer = null;
  let readyTimer = null;
  let ready = false;
  let pingTimer = null;
  let pongTimer = null;

  function stopPings() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
  }

  function startPings(current) {
    stopPings();
    pingTimer = setInterval(() => {
      if (current.readyState !== WebSocket.OPEN) {
        return;
      }
      current.send(JSON.stringify({ type: 'ping' }));
      clearTimeout(pongTimer);
      pongTimer = setTimeout(() => drop(current), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  /** Give up on a socket that went silent without waiting for its close handshake. */
  function drop(current) {
    if (socket !== current) {
      return;
    }
    socket = null;
    ready = false;
    stopPings();
    clearTimeout(readyTimer);
    try {
      current.close(4000);
    } catch {
      // already closing
    }
    scheduleRetry();
  }

  function scheduleRetry() {
    if (stopped) {
      return;
    }
    clearTimeout(retryTimer);
    const inMs = Math.round(delay * (0.75 + Math.random() * 0.5));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    onStatus('retrying', { inMs });
    retryTimer = setTimeout(open, inMs);
  }

  function open() {
    clearTimeout(retryTimer);
    if (stopped || typeof window.WebSocket !== 'function') {
      return;
    }
    if (socket && socket.readyState <= WebSocket.OPEN) {
      return; // already connecting or open
    }
    onStatus('connecting');
    let current;
    try {
      current = new WebSocket(socketUrl(path));
    } catch {
      scheduleRetry();
      return;
    }
    socket = current;
    const greeting = handshake();
    current.addEventListener('open', () => {
      for (const message of greeting.messages) {
        current.send(JSON.stringify(message));
      }
      // An answer that never comes (a proxy that swallows it): start again.
      readyTimer = setTimeout(() => drop(current), READY_TIMEOUT_MS);
    });
    current.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!message || typeof message !== 'object') {
        return;
      }
      if (message.type === 'pong') {
        clearTimeout(pongTimer);
      } else if (message.type === 'event') {
        onEvent(message);
      } else {
        onMessage(message);
        if (!ready && socket === current && greeting.ready(message)) {
          clearTimeout(readyTimer);
          ready = true;
          delay = FIRST_DELAY_MS;
          startPings(current);
          onStatus('ready');
        }
      }
    });
    current.addEventListener('close', (event) => {
      clearTimeout(readyTimer);
      if (socket !== current) {
        return;
      }
      stopPings();
      socket = null;
      ready = false;
      if (finalCodes.has(event.code)) {
        stopped = true;
        onStatus('stopped', { code: event.code });
        return;
      }
      scheduleRetry();
    });
  }

  /** Stop for good and say so (`detail` goes to onStatus with "stopped"). */
  function stop(detail = {}) {
    if (stopped) {
      return;
    }
    close();
    onStatus('stopped', detail);
  }

  function close() {
    stopped = true;
    clearTimeout(retryTimer);
    clearTimeout(readyTimer);
    stopPings();
    window.removeEventListener('online', retryNow);
    document.removeEventListener('visibilitychange', onVisible);
    if (socket) {
      const current = socket;
      socket = null;
      ready = false;
      current.close(1000);
    }
  }

  function retryNow() {
    if (!stopped && !socket) {
      delay = FIRST_DELAY_MS;
      open();
    }
  }

  function onVisible() {
    if (document.visibilityState === 'visible') {
      retryNow();
    }
  }

  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', onVisible);
  open();

  return {
    /** True once the server said "ready" and the socket is still open. */
    get connected() {
      return ready;
    },
    /** Try again at once (e.g. after the page's own HTTP call succeeded again). */
    retryNow,
    stop,
    close,
    /** For tests and diagnostics: end the current socket as a network blip would. */
    simulateDrop() {
      if (socket) {
        drop(socket);
      }
    },
  };
}
