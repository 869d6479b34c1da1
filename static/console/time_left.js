/**
 * Time on the proctor's screen against the server's clock — static/console/time_left.js.
 *
 * `createServerClock()` keeps the offset between this computer and the server (from
 * the `server_now` of each room read); `remainingMs(deadline, pausedAt)` is what is
 * left of an attempt — frozen at the moment of the pause while paused.
 */

export function createServerClock() {
  let offsetMs = 0;
  return {
    /** @param {string} serverNow ISO time the server answered with */
    sync(serverNow, requestStartedAt = Date.now()) {
      const server = Date.parse(serverNow);
      if (!Number.isNaN(server)) {
        // The answer was made somewhere between the request and now: take the middle.
        offsetMs = server - (requestStartedAt + Date.now()) / 2;
      }
    },
    now() {
      return Date.now() + offsetMs;
    },
    remainingMs(deadline, pausedAt) {
      if (!deadline) {
        return null;
      }
      const end = Date.parse(deadline);
      const from = pausedAt ? Date.parse(pausedAt) : this.now();
      return Math.max(0, end - from);
    },
  };
}

export function formatRemaining(ms) {
  const total = Math.ceil(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n) => String(n).padStart(2, '0');
  return hours ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${pad(minutes)}:${pad(seconds)}`;
}

export function formatClock(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  return date.toLocaleTimeString(document.documentElement.lang || undefined, {
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}
