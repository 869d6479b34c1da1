/**
 * The proctor console's websocket — static/console/console_socket.js.
 *
 * `connectConsole({path, rooms, onEvent, onStatus})` opens `/ws/console/` (the staff
 * session cookie authenticates it), subscribes to each room and reports:
 *
 * - `onStatus(status)`: "connecting" | "live" (every room subscribed) | "retrying"
 *   | "stopped" (the server refused the user: close code 4403);
 * - `onSubscribed(room)` after each subscription — the page re-reads the room over
 *   HTTP then, so that nothing missed while disconnected is lost;
 * - `onEvent(message)` for every `{"type":"event", …}`.
 *
 * Reconnects with back-off (1 s doubling to 30 s, with jitter), at once when the
 * browser is back online; pings every 25 s and starts again when no pong comes
 * within 10 s. Holds no page state.
 */

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const PING_EVERY_MS = 25000;
const PONG_TIMEOUT_MS = 10000;
const CLOSE_FORBIDDEN = 4403;

function socketUrl(path) {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}

export function connectConsole({
  path,
  rooms,
  onEvent = () => {},
  onStatus = () => {},
  onSubscribed = () => {},
}) {
  let socket = null;
  let stopped = false;
  let delay = FIRST_DELAY_MS;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;

  function stopPings() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
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

  function drop(current) {
    if (socket !== current) {
      return;
    }
    socket = null;
    stopPings();
    try {
      current.close(4000);
    } catch {
      // already closing
    }
    scheduleRetry();
  }

  function open() {
    clearTimeout(retryTimer);
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) {
      return;
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
    const waiting = new Set(rooms);
    current.addEventListener('open', () => {
      for (const room of rooms) {
        current.send(JSON.stringify({ type: 'subscribe', room }));
      }
      pingTimer = setInterval(() => {
        if (current.readyState !== WebSocket.OPEN) {
          return;
        }
        current.send(JSON.stringify({ type: 'ping' }));
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => drop(current), PONG_TIMEOUT_MS);
      }, PING_EVERY_MS);
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
      if (message.type === 'event') {
        onEvent(message);
      } else if (message.type === 'pong') {
        clearTimeout(pongTimer);
      } else if (message.type === 'subscribed') {
        waiting.delete(message.room);
        delay = FIRST_DELAY_MS;
        onSubscribed(message.room);
        if (waiting.size === 0) {
          onStatus('live');
        }
      } else if (message.type === 'error') {
        stopped = true;
        onStatus('stopped', { code: message.code });
        current.close(1000);
      }
    });
    current.addEventListener('close', (event) => {
      if (socket !== current) {
        return;
      }
      stopPings();
      socket = null;
      if (event.code === CLOSE_FORBIDDEN) {
        stopped = true;
        onStatus('stopped', { code: event.code });
        return;
      }
      scheduleRetry();
    });
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
    retryNow,
    /** For tests and diagnostics: end the current socket as a network blip would. */
    simulateDrop() {
      if (socket) {
        drop(socket);
      }
    },
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      stopPings();
      window.removeEventListener('online', retryNow);
      if (socket) {
        const current = socket;
        socket = null;
        current.close(1000);
      }
    },
  };
}
