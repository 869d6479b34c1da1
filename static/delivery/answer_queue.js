/**
 * The exam page's offline answer queue (static/delivery/answer_queue.js).
 *
 * Guarantees "no answer is ever lost" on the client side:
 *
 * 1. `add()` gives every change (an option picked, a mark toggled) the next
 *    per-attempt sequence number and writes it to localStorage
 *    (`examhall.queue.<attempt_id>`, and the last seq to
 *    `examhall.seq.<attempt_id>`) synchronously, before any network call, so
 *    a closed tab or a crash keeps it.
 * 2. `flush()` sends what is pending as one batch, in seq order, keeping only
 *    the latest entry per question, and on success removes every entry with
 *    seq <= acknowledged_seq. Re-sending is always safe: the server treats a
 *    seq it has seen as one write and ignores an older seq.
 * 3. Network errors, 5xx and 429 are retried with back-off (1 s, 2 s, 5 s,
 *    then every 10 s), on the `online` event and on a periodic timer.
 *    Any other refusal (409 deadline_passed / attempt_not_in_progress /
 *    attempt_paused, 401, 4xx) stops the queue: the entries stay stored and
 *    the page decides (show the message, `resume()` after a pause).
 *
 * The queue knows nothing about the DOM or the wording: it reports through
 * 'change' events (`detail = queue.snapshot()`). The network call is injected
 * (`send(saves)` must resolve to `{acknowledged_seq, server_now}` or throw an
 * ApiError-like object with `status` and `code`), and so is the clock
 * (`now()`, the page's server-corrected time for `client_saved_at`).
 */

export const queueKey = (attemptId) => `examhall.queue.${attemptId}`;
export const seqKey = (attemptId) => `examhall.seq.${attemptId}`;

const BACKOFF_MS = [1000, 2000, 5000, 10000];
const PERIODIC_RETRY_MS = 15000;
const MAX_BATCH = 200;

/** Codes after which re-sending the same entries cannot succeed by itself. */
const TRANSIENT = (error) =>
  !error || error.status === 0 || error.status >= 500 || error.status === 429;

export class AnswerQueue extends EventTarget {
  /**
   * @param {object} options
   * @param {string} options.attemptId
   * @param {(saves: object[]) => Promise<{acknowledged_seq: number, server_now: string}>} options.send
   * @param {() => Date} [options.now]
   * @param {Storage} [options.storage]
   * @param {() => boolean} [options.isOnline]
   */
  constructor({ attemptId, send, now = () => new Date(), storage, isOnline }) {
    super();
    this.attemptId = attemptId;
    this._send = send;
    this._now = now;
    this._storage = storage === undefined ? safeLocalStorage() : storage;
    this._isOnline = isOnline || (() => (typeof navigator === 'undefined' ? true : navigator.onLine));
    this._memory = { entries: [], seq: 0 };
    this._storageFailed = !this._storage;
    this._flushing = null;
    this._retryTimer = null;
    this._periodicTimer = null;
    this._failures = 0;
    this.status = 'idle'; // idle | sending | retrying | stopped
    this.lastError = null;
    this.lastSavedAt = null; // server time (Date) of the last acknowledged batch
    this._onOnline = () => {
      this._failures = 0;
      this.flush();
    };
    this._onOffline = () => this._emit();
    this._onStorage = (event) => {
      if (event.key === queueKey(this.attemptId)) {
        this._emit();
      }
    };
  }

  // --- lifecycle ------------------------------------------------------------

  /** Listen to the connection and retry pending entries periodically. */
  start() {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this._onOnline);
      window.addEventListener('offline', this._onOffline);
      window.addEventListener('storage', this._onStorage);
    }
    this._periodicTimer = setInterval(() => {
      if (this.status !== 'stopped' && !this._flushing && this.pendingCount > 0) {
        this.flush();
      }
    }, PERIODIC_RETRY_MS);
    this._emit();
  }

  dispose() {
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this._onOnline);
      window.removeEventListener('offline', this._onOffline);
      window.removeEventListener('storage', this._onStorage);
    }
    clearInterval(this._periodicTimer);
    clearTimeout(this._retryTimer);
  }

  /** Stop sending (the entries stay stored) until `resume()`. */
  stop(error = null) {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this.status = 'stopped';
    this.lastError = error;
    this._emit();
  }

  /** Allow sending again after a stop (e.g. the proctor resumed the exam). */
  resume() {
    if (this.status === 'stopped') {
      this.status = 'idle';
      this.lastError = null;
      this._failures = 0;
    }
    return this.flush();
  }

  // --- sequence numbers --------------------------------------------------------

  /** Make sure new seqs are above what the server already stored. */
  seedSeq(serverLastSeq) {
    const current = this._readSeq();
    if (Number(serverLastSeq) > current) {
      this._writeSeq(Number(serverLastSeq));
    }
  }

  nextSeq() {
    const highestQueued = this._load().reduce((max, entry) => Math.max(max, entry.seq), 0);
    const seq = Math.max(this._readSeq(), highestQueued) + 1;
    this._writeSeq(seq);
    return seq;
  }

  // --- entries ---------------------------------------------------------------

  /**
   * Record one change durably, then try to send it.
   * @returns {object} the stored entry
   */
  add({ questionId, value, marked }) {
    const entry = {
      question_id: String(questionId),
      value: [...value],
      marked: Boolean(marked),
      seq: this.nextSeq(),
      client_saved_at: this._now().toISOString(),
    };
    // Only the newest change of a question needs to reach the server (an older seq
    // is ignored there anyway): dropping the older unsent ones keeps the stored
    // queue small, e.g. an essay typed for an hour offline.
    const entries = this._load().filter((queued) => queued.question_id !== entry.question_id);
    entries.push(entry);
    this._save(entries);
    this._emit();
    this.flush();
    return entry;
  }

  /** All stored entries in seq order. */
  entries() {
    return this._load();
  }

  /** The newest stored entry of each question (a Map question_id → entry). */
  latestByQuestion() {
    const latest = new Map();
    for (const entry of this._load()) {
      const known = latest.get(entry.question_id);
      if (!known || entry.seq > known.seq) {
        latest.set(entry.question_id, entry);
      }
    }
    return latest;
  }

  /** How many questions have a change the server has not confirmed. */
  get pendingCount() {
    return this.latestByQuestion().size;
  }

  /**
   * Drop entries the server already holds (its seq for that question is the
   * same or newer). Call with the `answers` of a fresh AttemptView.
   */
  pruneAgainst(serverAnswers) {
    const entries = this._load();
    const kept = entries.filter((entry) => {
      const stored = serverAnswers[entry.question_id];
      return !stored || Number(stored.seq) < entry.seq;
    });
    if (kept.length !== entries.length) {
      this._save(kept);
      this._emit();
    }
  }

  /** Forget the entries of questions that are not part of the paper. */
  discardQuestionsNotIn(questionIds) {
    const allowed = new Set(questionIds.map(String));
    const entries = this._load();
    const kept = entries.filter((entry) => allowed.has(entry.question_id));
    if (kept.length !== entries.length) {
      this._save(kept);
      this._emit();
    }
  }

  // --- sending -------------------------------------------------------------------

  /**
   * Send everything pending. Resolves `true` once the queue is empty, `false`
   * if a send failed (a retry is scheduled unless the queue stopped).
   */
  flush() {
    if (!this._flushing) {
      this._flushing = this._drain().finally(() => {
        this._flushing = null;
      });
    }
    return this._flushing;
  }

  async _drain() {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    for (;;) {
      if (this.status === 'stopped') {
        return false;
      }
      const batch = this._batch();
      if (batch.length === 0) {
        this.status = 'idle';
        this.lastError = null;
        this._emit();
        return true;
      }
      this.status = 'sending';
      this._emit();
      let receipt;
      try {
        receipt = await this._send(batch);
      } catch (error) {
        this._failed(error);
        return false;
      }
      this._failures = 0;
      this.lastError = null;
      this._acknowledge(Number(receipt && receipt.acknowledged_seq));
      if (receipt && receipt.server_now) {
        this.lastSavedAt = new Date(receipt.server_now);
      }
    }
  }

  /** Latest entry per question, in seq order, at most MAX_BATCH of them. */
  _batch() {
    return [...this.latestByQuestion().values()]
      .sort((a, b) => a.seq - b.seq)
      .slice(0, MAX_BATCH)
      .map((entry) => ({ ...entry, value: [...entry.value] }));
  }

  _acknowledge(acknowledgedSeq) {
    if (!Number.isFinite(acknowledgedSeq)) {
      return;
    }
    const entries = this._load();
    this._save(entries.filter((entry) => entry.seq > acknowledgedSeq));
  }

  _failed(error) {
    this.lastError = error;
    if (!TRANSIENT(error)) {
      this.stop(error);
      return;
    }
    const delay = BACKOFF_MS[Math.min(this._failures, BACKOFF_MS.length - 1)];
    this._failures += 1;
    this.status = 'retrying';
    this._retryTimer = setTimeout(() => this.flush(), delay);
    this._emit();
  }

  // --- state for the page ------------------------------------------------------

  snapshot() {
    return {
      pending: this.pendingCount,
      status: this.status,
      online: this._isOnline(),
      error: this.lastError,
      lastSavedAt: this.lastSavedAt,
      storageFailed: this._storageFailed,
    };
  }

  _emit() {
    this.dispatchEvent(new CustomEvent('change', { detail: this.snapshot() }));
  }

  // --- storage -----------------------------------------------------------------

  _load() {
    if (!this._storageFailed) {
      try {
        const raw = this._storage.getItem(queueKey(this.attemptId));
        const entries = raw ? JSON.parse(raw) : [];
        if (Array.isArray(entries)) {
          return entries.filter(isEntry).sort((a, b) => a.seq - b.seq);
        }
      } catch {
        // Unreadable storage: fall back to memory below.
      }
    }
    return this._memory.entries.map((entry) => ({ ...entry }));
  }

  _save(entries) {
    this._memory.entries = entries.map((entry) => ({ ...entry }));
    if (this._storageFailed) {
      return;
    }
    try {
      if (entries.length) {
        this._storage.setItem(queueKey(this.attemptId), JSON.stringify(entries));
      } else {
        this._storage.removeItem(queueKey(this.attemptId));
      }
    } catch {
      // Quota exceeded or storage disabled: keep going in memory and say so.
      this._storageFailed = true;
    }
  }

  _readSeq() {
    let stored = 0;
    if (!this._storageFailed) {
      try {
        stored = Number(this._storage.getItem(seqKey(this.attemptId))) || 0;
      } catch {
        stored = 0;
      }
    }
    return Math.max(stored, this._memory.seq);
  }

  _writeSeq(seq) {
    this._memory.seq = Math.max(this._memory.seq, seq);
    if (this._storageFailed) {
      return;
    }
    try {
      this._storage.setItem(seqKey(this.attemptId), String(seq));
    } catch {
      this._storageFailed = true;
    }
  }
}

function isEntry(entry) {
  return (
    entry &&
    typeof entry.question_id === 'string' &&
    Array.isArray(entry.value) &&
    Number.isInteger(entry.seq) &&
    entry.seq > 0
  );
}

function safeLocalStorage() {
  try {
    const storage = globalThis.localStorage;
    const probe = 'examhall.probe';
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}
