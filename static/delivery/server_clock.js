/**
 * The exam page's server-authoritative clock (static/delivery/server_clock.js).
 *
 * The server is the authority on time. `ServerClock` keeps the offset between
 * the local clock and the server's, measured from `server_now` in a response
 * (taken as the midpoint of the request), and tells when the local clock
 * jumped since the last sync (changed by hand, computer asleep) by comparing
 * it with the monotonic `performance.now()`, so the page can re-sync at once.
 * Remaining time = server deadline − (local clock + offset).
 *
 * Also formats durations (`01:05:09`) and clock times (`10:32:05`).
 * DOM-free: only Date, performance and Intl; holds no state of its own
 * beyond each ServerClock instance.
 */

export const CLOCK_JUMP_MS = 2000;

export class ServerClock {
  constructor({ jumpThresholdMs = CLOCK_JUMP_MS } = {}) {
    this.jumpThresholdMs = jumpThresholdMs;
    this.offsetMs = 0;
    this.dateAnchor = null;
    this.perfAnchor = null;
  }

  /** `sentAt`/`receivedAt`: Date.now() around the request that returned `serverIso`. */
  sync(serverIso, sentAt, receivedAt) {
    const server = Date.parse(serverIso);
    if (Number.isNaN(server)) {
      return;
    }
    this.offsetMs = server - (sentAt + receivedAt) / 2;
    this.dateAnchor = Date.now();
    this.perfAnchor = performance.now();
  }

  nowMs() {
    return Date.now() + this.offsetMs;
  }

  now() {
    return new Date(this.nowMs());
  }

  /** The local clock moved differently from the monotonic one since the last sync. */
  jumped() {
    if (this.dateAnchor === null) {
      return false;
    }
    const byDate = Date.now() - this.dateAnchor;
    const byMonotonic = performance.now() - this.perfAnchor;
    return Math.abs(byDate - byMonotonic) > this.jumpThresholdMs;
  }
}

/** Milliseconds left before `deadlineMs` (never negative); null without a deadline. */
export function remainingMs(deadlineMs, nowMs) {
  return deadlineMs === null ? null : Math.max(0, deadlineMs - nowMs);
}

/** `ms` as HH:MM:SS, rounded up to the second. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const parts = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return parts.map((part) => String(part).padStart(2, '0')).join(':');
}

/** A Date as a 24-hour clock time with seconds, in the page's language. */
export function formatClockTime(date, lang) {
  return date.toLocaleTimeString(lang, {
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  });
}
