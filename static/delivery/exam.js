/**
 * The exam page (delivery/exam.html) — static/delivery/exam.js.
 *
 * One question at a time, a palette of all questions, mark-for-review, and
 * the remaining time; every change is saved at once through the offline
 * AnswerQueue (answer_queue.js): stored in localStorage first, then sent.
 *
 * - Time: the server is the authority. Remaining time = server deadline −
 *   (local clock + offset), where the offset is measured from `server_now`
 *   on every GET of the attempt (every 60 s, every 5 s while paused, when
 *   the tab comes back or the network returns) and on every save receipt.
 *   A jump of the local clock (changed by hand, computer asleep) triggers a
 *   re-sync at once.
 * - Load: GET the attempt, merge its answers with the local queue (a queued
 *   entry with a newer seq wins and is re-sent); submitted/graded/voided go
 *   to the done page; paused shows an overlay and polls.
 * - Fill-in-the-blank: every gap's input saves the whole list of texts (in
 *   `blanks` order) through the same queue, 600 ms after the last keystroke
 *   and at once on change / blur, on navigation, submit, time up and when
 *   the page is hidden or left.
 * - Essay: the textarea's text is saved the same way as `[text]`, 800 ms
 *   after the last keystroke (input methods: once the composition ends).
 * - Submit: `#submit-modal` shows unanswered and marked counts; confirming
 *   first empties the queue; while answers cannot be sent it says so and
 *   submits by itself once they are saved. At time 0 the page flushes,
 *   then submits whatever the server holds, and goes to the done page.
 * - A 409 deadline_passed / attempt_not_in_progress or a 401 stops saving;
 *   the entries stay in localStorage and the server's message is shown.
 *
 * This module is the page's wiring; the parts live next to it:
 * server_clock.js (offset, remaining time, formatting), palette.js (the
 * palette and the answered summary), question_view.js (one question, its
 * options, gaps or essay area, and the mark toggle), answer_queue.js (the
 * offline queue).
 *
 * Monitoring (issue 5): for an exam that requires the device check
 * (`data-monitoring="on"`), ../proctoring/monitor.js is loaded once the
 * attempt has started — the camera, snapshots, heartbeats, browser events and
 * the `#camera-warning` — and stopped when the page goes to the done page. It
 * is loaded on its own: if it fails, answering is not affected.
 *
 * The proctor (issue 6): the attempt's websocket (`/ws/attempts/`) brings
 * `attempt.state` at once — paused shows `#paused-overlay` and freezes the
 * countdown; in_progress continues from the server's new deadline; a later
 * deadline (more time given) updates the countdown and says so in
 * `#time-notice`; submitted / voided (force submit, terminate) go to the done
 * page — and the proctor's messages, handed to ./proctor_messages.js (the
 * modal to acknowledge and the "Ask the proctor" chat). After every
 * (re)connection the page re-reads the status and the messages, so an event
 * missed while away costs nothing; the status poll stays as a fallback.
 */
import { createApiClient, format, readJsonScript } from '../core/api.js';
import { connectSocket } from '../core/socket.js';
import { AnswerQueue } from './answer_queue.js';
import { createPalette } from './palette.js';
import { createProctorMessages } from './proctor_messages.js';
import { createQuestionView } from './question_view.js';
import { ServerClock, formatClockTime, formatDuration, remainingMs } from './server_clock.js';

const SYNC_INTERVAL_MS = 60000;
const PAUSED_POLL_MS = 5000;
const LOAD_RETRY_MS = 5000;
const SUBMIT_RETRY_MS = 3000;
const TIME_UP_FLUSH_LIMIT_MS = 60000;
const LOW_TIME_MS = 5 * 60000;
const TICK_MS = 250;
const TYPING_DEBOUNCE_MS = 600;
const ESSAY_DEBOUNCE_MS = 800;
const FINISHED_STATES = new Set(['submitted', 'graded', 'voided']);
const EXTENSION_NOTICE_MIN_MS = 30000; // a later deadline by at least this is "more time"
const TIME_NOTICE_MS = 20000;

const strings = readJsonScript('i18n');
const app = document.getElementById('exam-app');
const config = app.dataset;
const byId = (id) => document.getElementById(id);
const el = {
  alert: byId('exam-alert'),
  timeNotice: byId('time-notice'),
  timeNoticeBox: byId('time-notice-box'),
  loading: byId('exam-loading'),
  body: byId('exam-body'),
  timeLeft: byId('time-left'),
  connection: byId('connection-status'),
  connectionIcon: byId('connection-icon'),
  connectionText: byId('connection-text'),
  pendingCount: byId('pending-count'),
  submitButton: byId('submit-button'),
  watermark: byId('watermark'),
  question: byId('question'),
  number: byId('question-number'),
  kind: byId('question-kind'),
  score: byId('question-score'),
  stem: byId('question-stem'),
  caseSection: byId('question-case'),
  caseTitle: byId('case-title-text'),
  caseMaterial: byId('case-material'),
  fieldset: byId('question-fieldset'),
  options: byId('question-options'),
  essay: byId('question-essay'),
  prev: byId('prev-button'),
  next: byId('next-button'),
  nextLabel: byId('next-label'),
  markToggle: byId('mark-toggle'),
  markIcon: byId('mark-icon'),
  markLabel: byId('mark-label'),
  palette: byId('palette'),
  answeredSummary: byId('answered-summary'),
  modal: byId('submit-modal'),
  unansweredCount: byId('unanswered-count'),
  markedCount: byId('marked-count'),
  submitWaiting: byId('submit-waiting'),
  submitError: byId('submit-error'),
  confirmSubmit: byId('confirm-submit'),
  pausedOverlay: byId('paused-overlay'),
  timeUpOverlay: byId('timeup-overlay'),
  timeUpStatus: byId('timeup-status'),
  stoppedOverlay: byId('stopped-overlay'),
  stoppedMessage: byId('stopped-message'),
  stoppedPending: byId('stopped-pending'),
  stoppedContinue: byId('stopped-continue'),
};
const lang = document.documentElement.lang || undefined;
const attemptPath = `attempts/${encodeURIComponent(config.attemptId)}`;
const currentKey = `examhall.current.${config.attemptId}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const api = createApiClient({
  base: config.apiBase,
  token: config.token,
  messages: { network: strings.network, server: strings.server },
});

// --- server clock ---------------------------------------------------------------

const serverClock = new ServerClock();

// --- page state -------------------------------------------------------------------

const exam = {
  state: null, // the attempt's state as last reported by the server
  deadlineMs: null,
  frozenRemainingMs: null, // shown while paused
  questions: [],
  answers: new Map(), // question id → {value: string[], marked: boolean}
  current: 0,
  loaded: false,
  timeUp: false,
  submitting: false,
  submitWhenSaved: false,
  stopped: false, // saving refused for good (deadline passed, submitted, signed out)
  finished: false, // leaving for the done page
  warnedLowTime: false,
  storageWarned: false,
};

const queue = new AnswerQueue({
  attemptId: config.attemptId,
  now: () => serverClock.now(),
  send: async (saves) => {
    const sentAt = Date.now();
    const receipt = await api.post(`${attemptPath}/answers`, { saves });
    serverClock.sync(receipt.server_now, sentAt, Date.now());
    return receipt;
  },
});

// --- helpers ----------------------------------------------------------------------

function showAlert(message, kind = 'warning') {
  el.alert.className = `alert alert-${kind}`;
  el.alert.textContent = message;
  el.alert.hidden = !message;
}

function answerOf(questionId) {
  return exam.answers.get(questionId) || { value: [], marked: false };
}

function currentQuestion() {
  return exam.questions[exam.current];
}

function canAnswer() {
  return (
    exam.loaded && exam.state === 'in_progress' && !exam.timeUp && !exam.submitting &&
    !exam.stopped && !exam.finished
  );
}

function updateInteractivity() {
  const locked = !canAnswer();
  el.fieldset.disabled = locked;
  questionView.textInputs().forEach((input) => {
    input.disabled = locked;
  });
  el.markToggle.disabled = locked;
  el.submitButton.disabled = locked;
}

function goToDone() {
  if (exam.finished) {
    return; // already leaving (the socket's event and the submit's answer both lead here)
  }
  exam.finished = true;
  stopMonitoring();
  proctorMessages.stop();
  socket.close();
  queue.dispose();
  window.location.replace(config.doneUrl);
}

// --- loading and syncing --------------------------------------------------------------

async function fetchAttempt(suffix = '') {
  const sentAt = Date.now();
  const view = await api.get(attemptPath + suffix);
  serverClock.sync(view.server_now, sentAt, Date.now());
  return view;
}

/** Go to the done page if the server says the attempt is over. */
function leaveIfFinished(view) {
  if (!FINISHED_STATES.has(view.state)) {
    return false;
  }
  exam.state = view.state;
  if (!el.stoppedOverlay.hidden) {
    return true; // the overlay explains what happened and links to the done page
  }
  goToDone();
  return true;
}

let timeNoticeTimer = null;

function showTimeNotice(message) {
  clearTimeout(timeNoticeTimer);
  el.timeNotice.textContent = message;
  el.timeNoticeBox.hidden = !message;
  if (message) {
    timeNoticeTimer = setTimeout(() => showTimeNotice(''), TIME_NOTICE_MS);
  }
}

/** The deadline moved later while the exam ran (not a resume): the proctor gave time. */
function noticeExtension(wasPaused, previousMs, view) {
  const resumed = wasPaused && view.state === 'in_progress';
  if (resumed || previousMs === null || exam.deadlineMs === null) {
    return;
  }
  const gainedMs = exam.deadlineMs - previousMs;
  if (gainedMs < EXTENSION_NOTICE_MIN_MS) {
    return;
  }
  if (view.state === 'paused' && exam.frozenRemainingMs !== null) {
    exam.frozenRemainingMs += gainedMs; // the countdown shown while paused moves too
  }
  exam.warnedLowTime = false;
  const minutes = Math.max(1, Math.round(gainedMs / 60000));
  showTimeNotice(format(minutes === 1 ? strings.extendedOne : strings.extended, { minutes }));
}

function applyState(view) {
  const running = ['in_progress', 'paused'];
  const wasRunning = running.includes(exam.state);
  const wasPaused = exam.state === 'paused';
  const previousDeadlineMs = exam.deadlineMs;
  exam.state = view.state;
  exam.deadlineMs = view.deadline ? Date.parse(view.deadline) : null;
  if (wasRunning && running.includes(view.state)) {
    noticeExtension(wasPaused, previousDeadlineMs, view);
  }
  if (view.state === 'paused') {
    el.pausedOverlay.hidden = false;
    const pausedAtMs = view.paused_at ? Date.parse(view.paused_at) : NaN;
    if (exam.deadlineMs !== null && !Number.isNaN(pausedAtMs)) {
      // What was left when the pause began (not at this reading, e.g. after a reload).
      exam.frozenRemainingMs = Math.max(0, exam.deadlineMs - pausedAtMs);
    }
  } else {
    el.pausedOverlay.hidden = true;
    exam.frozenRemainingMs = null;
  }
  if (view.state === 'in_progress' && queue.status === 'stopped' && !exam.stopped) {
    queue.resume(); // e.g. after a pause, or a refusal that a fresh start may clear
  } else if (wasPaused && view.state === 'in_progress') {
    queue.flush();
  }
  updateInteractivity();
  renderConnection(queue.snapshot());
  tick();
  startMonitoringOnce();
}

// --- monitoring (proctoring/monitor.js) ----------------------------------------------

let monitoring = null; // a promise of the monitor (null if it could not be loaded)

function startMonitoringOnce() {
  if (monitoring || config.monitoring !== 'on' || exam.finished ||
      !['in_progress', 'paused'].includes(exam.state)) {
    return;
  }
  monitoring = import('../proctoring/monitor.js')
    .then(({ startMonitoring }) => (exam.finished ? null : startMonitoring({
      api,
      attemptId: config.attemptId,
      strings,
      selfViewSlot: byId('monitor-slot'),
      warning: byId('camera-warning'),
      pairingUrl: config.pairingUrl || '',
    })))
    .catch(() => null);
}

function flushMonitoring() {
  return monitoring ? monitoring.then((monitor) => monitor?.flush()) : Promise.resolve();
}

function stopMonitoring() {
  monitoring?.then((monitor) => monitor?.stop({ finished: true }));
}

let syncTimer = null;
let syncing = null;

function scheduleSync() {
  clearTimeout(syncTimer);
  if (!exam.finished) {
    syncTimer = setTimeout(syncNow, exam.state === 'paused' ? PAUSED_POLL_MS : SYNC_INTERVAL_MS);
  }
}

/** GET the attempt; resolves true if the page is leaving (attempt finished). */
function syncNow() {
  if (!syncing) {
    syncing = (async () => {
      try {
        const view = await fetchAttempt('/status'); // state and deadline only
        if (leaveIfFinished(view)) {
          return true;
        }
        applyState(view);
      } catch (error) {
        if (error.status === 401) {
          stopSaving(error);
        }
      } finally {
        syncing = null;
        scheduleSync();
      }
      return false;
    })();
  }
  return syncing;
}

function mergeAnswers(view) {
  const ids = exam.questions.map((question) => question.id);
  queue.discardQuestionsNotIn(ids);
  queue.seedSeq(view.last_seq || 0);
  queue.pruneAgainst(view.answers || {});
  for (const question of exam.questions) {
    const stored = (view.answers || {})[question.id];
    exam.answers.set(question.id, {
      value: stored && Array.isArray(stored.value) ? [...stored.value] : [],
      marked: Boolean(stored && stored.marked),
    });
  }
  // Whatever is still queued is newer than the server's copy: it wins.
  for (const entry of queue.latestByQuestion().values()) {
    exam.answers.set(entry.question_id, { value: [...entry.value], marked: entry.marked });
  }
}

async function load() {
  let view;
  try {
    view = await fetchAttempt();
  } catch (error) {
    if (error.isTransient) {
      showAlert(strings.loadFailed);
      setTimeout(load, LOAD_RETRY_MS);
    } else {
      el.loading.hidden = true;
      showAlert(error.message || strings.server, 'danger');
    }
    return;
  }
  if (leaveIfFinished(view)) {
    return;
  }
  showAlert('');
  exam.questions = Array.isArray(view.questions) ? view.questions : [];
  mergeAnswers(view);
  const saved = Number(sessionStorage.getItem(currentKey));
  exam.current = Number.isInteger(saved) && saved >= 0 && saved < exam.questions.length ? saved : 0;
  exam.loaded = true;
  renderWatermark();
  palette.build(exam.questions);
  el.loading.hidden = true;
  el.body.hidden = false;
  applyState(view);
  renderQuestion();
  queue.start();
  queue.flush();
  setInterval(tick, TICK_MS);
  scheduleSync();
}

// --- timer ----------------------------------------------------------------------------

function tick() {
  if (serverClock.jumped()) {
    syncNow();
  }
  let left = remainingMs(exam.deadlineMs, serverClock.nowMs());
  if (exam.state === 'paused') {
    exam.frozenRemainingMs ??= left;
    left = exam.frozenRemainingMs;
  }
  el.timeLeft.textContent = left === null ? '--:--:--' : formatDuration(left);
  el.timeLeft.classList.toggle('is-low', left !== null && left <= LOW_TIME_MS);
  if (exam.state !== 'in_progress' || left === null) {
    return;
  }
  if (left <= LOW_TIME_MS && left > 0 && !exam.warnedLowTime) {
    exam.warnedLowTime = true;
    showAlert(strings.fiveMinutes);
  }
  if (left === 0 && !exam.timeUp) {
    onTimeUp();
  }
}

// --- rendering ------------------------------------------------------------------------

function renderWatermark() {
  const text = `${config.candidateName} · ${config.ticketNumber}`;
  const spans = Array.from({ length: 120 }, () => {
    const span = document.createElement('span');
    span.textContent = text;
    return span;
  });
  el.watermark.replaceChildren(...spans);
}

const palette = createPalette({
  container: el.palette,
  summary: el.answeredSummary,
  strings,
  answerOf,
  currentId: () => currentQuestion()?.id,
  onSelect: (index) => goTo(index, { focus: true }),
});

const questionView = createQuestionView({ el, strings, lang });

function renderQuestion() {
  flushTyping(); // what was typed is recorded before the inputs are redrawn
  const question = currentQuestion();
  if (!question) {
    return;
  }
  questionView.render(question, answerOf(question.id), {
    index: exam.current, total: exam.questions.length,
  });
  palette.updateAll();
  updateInteractivity();
  try {
    sessionStorage.setItem(currentKey, String(exam.current));
  } catch {
    // Only the position is lost; nothing to do.
  }
}

function goTo(index, { focus = false } = {}) {
  if (index < 0 || index >= exam.questions.length) {
    return;
  }
  exam.current = index;
  renderQuestion();
  const area = el.question.closest('.eh-question-area');
  if (area.getBoundingClientRect().top < 0) {
    area.scrollIntoView({ block: 'start' });
  }
  if (focus) {
    el.question.focus({ preventScroll: true });
  }
}

// --- answering ------------------------------------------------------------------------

/** Keep the change on this computer first (the queue stores it), then send it. */
function record(questionId, answer) {
  exam.answers.set(questionId, answer);
  queue.add({ questionId, value: answer.value, marked: answer.marked });
  palette.update(questionId);
  palette.updateSummary();
}

el.options.addEventListener('change', (event) => {
  if (!event.target.name?.startsWith('q-')) {
    return;
  }
  const question = currentQuestion();
  if (!canAnswer()) {
    renderQuestion(); // undo a change made while answering is not allowed
    return;
  }
  const value = questionView.checkedValues();
  record(question.id, { value, marked: answerOf(question.id).marked });
});

// Fill-in-the-blank and essay: the texts typed are kept in `typing` and
// recorded (the whole list) after a pause in typing, or at once on change / blur.
let typing = null; // {questionId, value} not recorded yet
let typingTimer = null;

function sameTexts(a, b) {
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    if ((a[index] ?? '') !== (b[index] ?? '')) {
      return false;
    }
  }
  return true;
}

/** Record the gaps' texts not recorded yet (if they changed). */
function flushTyping() {
  clearTimeout(typingTimer);
  typingTimer = null;
  const pending = typing;
  typing = null;
  if (!pending || exam.finished) {
    return;
  }
  const answer = answerOf(pending.questionId);
  if (!sameTexts(pending.value, answer.value)) {
    record(pending.questionId, { value: pending.value, marked: answer.marked });
  }
}

/** Take the texts of the shown question: its gaps, or its essay (`[text]`). */
function captureTyping() {
  const question = currentQuestion();
  if (!question || el.question.dataset.questionId !== String(question.id)) {
    return false;
  }
  if (question.kind === 'fill_blank') {
    typing = { questionId: question.id, value: questionView.blankValues(question) };
  } else if (question.kind === 'essay') {
    typing = { questionId: question.id, value: questionView.essayValue() };
  } else {
    return false;
  }
  return true;
}

/** A gap's input or an essay's textarea. */
function isTextInput(target) {
  return (
    (target instanceof HTMLInputElement && 'blankKey' in target.dataset) ||
    (target instanceof HTMLTextAreaElement && 'essay' in target.dataset)
  );
}

function onTextTyped(event) {
  if (!isTextInput(event.target) || event.isComposing) {
    return; // an input method is still composing: wait for its result
  }
  if (!canAnswer()) {
    renderQuestion(); // undo a change made while answering is not allowed
    return;
  }
  if (captureTyping()) {
    clearTimeout(typingTimer);
    const essay = event.target instanceof HTMLTextAreaElement;
    typingTimer = setTimeout(flushTyping, essay ? ESSAY_DEBOUNCE_MS : TYPING_DEBOUNCE_MS);
  }
}

// On #question: the gaps are in the stem, the essay's textarea in #question-essay.
el.question.addEventListener('input', onTextTyped);
el.question.addEventListener('compositionend', onTextTyped);

function onTextLeft(event) {
  if (!isTextInput(event.target) || !event.target.isConnected) {
    return;
  }
  if (canAnswer() && captureTyping()) {
    flushTyping();
  } else if (typing) {
    flushTyping(); // typed while answering was allowed
  }
}

el.question.addEventListener('change', onTextLeft);
el.question.addEventListener('focusout', onTextLeft);

el.markToggle.addEventListener('click', () => {
  flushTyping();
  const question = currentQuestion();
  if (!question || !canAnswer()) {
    return;
  }
  const answer = answerOf(question.id);
  record(question.id, { value: [...answer.value], marked: !answer.marked });
  questionView.renderMarkToggle(!answer.marked);
});

el.prev.addEventListener('click', () => goTo(exam.current - 1));
el.next.addEventListener('click', () => {
  if (exam.current === exam.questions.length - 1) {
    openSubmitModal();
  } else {
    goTo(exam.current + 1);
  }
});

// --- connection status ------------------------------------------------------------------

function renderConnection(snapshot) {
  const { pending, status, online, lastSavedAt } = snapshot;
  let mode;
  let icon;
  let text;
  if (exam.state === 'paused') {
    [mode, icon, text] = ['paused', 'bi-pause-circle', strings.paused];
  } else if (status === 'stopped') {
    [mode, icon, text] = ['stopped', 'bi-exclamation-octagon', strings.stopped];
  } else if (!online || status === 'retrying') {
    mode = 'offline';
    icon = 'bi-wifi-off';
    text = pending > 0 ? strings.offline : strings.offlineSaved;
  } else if (pending > 0) {
    [mode, icon, text] = ['sending', 'bi-arrow-repeat', strings.saving];
  } else if (lastSavedAt) {
    mode = 'saved';
    icon = 'bi-cloud-check';
    text = format(strings.savedAt, { time: formatClockTime(lastSavedAt, lang) });
  } else {
    [mode, icon, text] = ['saved', 'bi-cloud-check', strings.online];
  }
  el.connection.className = `eh-connection is-${mode}`;
  el.connection.dataset.state = mode;
  el.connectionIcon.className = `bi ${icon}`;
  el.connectionText.textContent = text;
  el.pendingCount.dataset.count = String(pending);
  el.pendingCount.textContent = pending > 0 ? format(strings.pending, { count: pending }) : '';
}

/** Saving was refused for good: keep the entries, show the server's message. */
function stopSaving(error) {
  exam.stopped = true;
  exam.submitWhenSaved = false;
  updateInteractivity();
  if (exam.timeUp) {
    return; // the time-up flow submits what the server holds
  }
  hideSubmitModal();
  el.stoppedMessage.textContent = error.message || strings.server;
  const pending = queue.pendingCount;
  el.stoppedPending.textContent = format(strings.keptLocally, { count: pending });
  el.stoppedPending.hidden = pending === 0;
  if (error.status === 401) {
    el.stoppedContinue.textContent = strings.signInAgain;
    el.stoppedContinue.href = config.homeUrl;
  }
  el.stoppedOverlay.hidden = false;
}

let handledError = null;

queue.addEventListener('change', (event) => {
  const snapshot = event.detail;
  renderConnection(snapshot);
  if (snapshot.storageFailed && !exam.storageWarned) {
    exam.storageWarned = true;
    showAlert(strings.storageFailed, 'danger');
  }
  if (snapshot.status === 'stopped' && snapshot.error && snapshot.error !== handledError) {
    handledError = snapshot.error;
    onQueueStopped(snapshot.error);
  }
  if (exam.submitWhenSaved && snapshot.pending === 0 && snapshot.status === 'idle') {
    exam.submitWhenSaved = false;
    submitNow();
  }
});

function onQueueStopped(error) {
  if (error.code === 'attempt_paused') {
    syncNow(); // shows the paused overlay; the queue resumes when the exam does
  } else if (['deadline_passed', 'attempt_not_in_progress'].includes(error.code) ||
             error.status === 401) {
    stopSaving(error);
    if (error.status !== 401) {
      syncNow();
    }
  } else {
    showAlert(error.message || strings.server, 'danger'); // retried after the next sync
  }
  setConfirmBusy(false);
}

// --- submitting -------------------------------------------------------------------------

function modalInstance() {
  return window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(el.modal) : null;
}

function hideSubmitModal() {
  modalInstance()?.hide();
}

function setConfirmBusy(busy) {
  el.confirmSubmit.disabled = busy;
  el.confirmSubmit.querySelector('.spinner-border').hidden = !busy;
}

function setSubmitStatus(message) {
  el.submitWaiting.textContent = message;
  el.submitWaiting.hidden = !message;
  el.timeUpStatus.textContent = message;
}

function openSubmitModal() {
  flushTyping(); // the counts include what was just typed
  if (!canAnswer()) {
    return;
  }
  const { unanswered, marked } = palette.counts();
  el.unansweredCount.textContent = String(unanswered);
  el.unansweredCount.dataset.count = String(unanswered);
  el.markedCount.textContent = String(marked);
  el.markedCount.dataset.count = String(marked);
  setSubmitStatus('');
  el.submitError.hidden = true;
  setConfirmBusy(false);
  modalInstance()?.show();
}

/** POST submit until the server answers; resolves true once leaving for the done page. */
async function submitNow() {
  if (exam.finished) {
    return true;
  }
  if (exam.submitting) {
    return false;
  }
  exam.submitting = true;
  updateInteractivity();
  setSubmitStatus(strings.submitting);
  try {
    for (;;) {
      try {
        await api.post(`${attemptPath}/submit`);
        goToDone();
        return true;
      } catch (error) {
        if (error.isTransient) {
          setSubmitStatus(strings.submitRetry);
          await sleep(SUBMIT_RETRY_MS);
          continue;
        }
        if (await syncNow()) {
          return true; // already submitted (e.g. by the server at time up)
        }
        if (exam.timeUp) {
          setSubmitStatus(error.message || strings.server);
        } else {
          el.submitError.textContent = error.message || strings.server;
          el.submitError.hidden = false;
          setSubmitStatus('');
        }
        return false;
      }
    }
  } finally {
    if (!exam.finished) {
      exam.submitting = false;
      setConfirmBusy(false);
      updateInteractivity();
    }
  }
}

el.submitButton.addEventListener('click', openSubmitModal);

el.confirmSubmit.addEventListener('click', async () => {
  if (exam.submitting || exam.submitWhenSaved) {
    return;
  }
  setConfirmBusy(true);
  el.submitError.hidden = true;
  setSubmitStatus(strings.submitFlushing);
  const [saved] = await Promise.all([queue.flush(), flushMonitoring()]);
  if (saved) {
    await submitNow();
    return;
  }
  if (queue.status === 'stopped') {
    setSubmitStatus('');
    return; // onQueueStopped explains
  }
  // Not sent yet (offline or failing): never submit over unsent answers.
  exam.submitWhenSaved = true;
  setSubmitStatus(format(strings.submitWaiting, { count: queue.pendingCount }));
});

// Shown again after a proctor's message only while the candidate may still submit.
el.modal.addEventListener('show.bs.modal', (event) => {
  if (!canAnswer()) {
    event.preventDefault();
  }
});

el.modal.addEventListener('hidden.bs.modal', () => {
  if (!exam.submitting) {
    exam.submitWhenSaved = false;
    setConfirmBusy(false);
  }
});

/** Resolve once the queue is empty, it stopped, or `limitMs` passed. */
async function drainQueue(limitMs) {
  const until = Date.now() + limitMs;
  while (queue.pendingCount > 0 && queue.status !== 'stopped' && Date.now() < until) {
    if (!(await queue.flush())) {
      await sleep(1000);
    }
  }
}

async function onTimeUp() {
  flushTyping(); // the last texts typed are sent too
  exam.timeUp = true;
  exam.submitWhenSaved = false;
  updateInteractivity();
  hideSubmitModal();
  el.pausedOverlay.hidden = true;
  el.timeUpOverlay.hidden = false;
  setSubmitStatus(strings.submitFlushing);
  await drainQueue(TIME_UP_FLUSH_LIMIT_MS);
  while (!exam.finished) {
    if (await submitNow()) {
      return;
    }
    await sleep(SUBMIT_RETRY_MS);
  }
}

// --- page life ---------------------------------------------------------------------------

window.addEventListener('beforeunload', (event) => {
  flushTyping(); // stored on this computer before the page goes
  if (!exam.finished && queue.pendingCount > 0) {
    event.preventDefault();
    event.returnValue = strings.leave; // older browsers need a value
    return strings.leave;
  }
  return undefined;
});

window.addEventListener('pagehide', flushTyping);

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') {
    flushTyping();
  }
  if (document.visibilityState === 'visible' && exam.loaded && !exam.finished) {
    syncNow();
    queue.flush();
  }
});

window.addEventListener('online', () => {
  if (exam.loaded && !exam.finished) {
    syncNow();
  }
});

// --- the proctor: live state and messages --------------------------------------------------

const proctorMessages = createProctorMessages({ api, attemptId: config.attemptId, lang });

/** `attempt.state` pushed by the server: act at once instead of at the next poll. */
function onStateEvent(event) {
  if (!exam.loaded || exam.finished || typeof event.state !== 'string') {
    return; // load() reads the state itself
  }
  const view = { state: event.state, deadline: event.deadline ?? null,
    paused_at: event.paused_at ?? null };
  if (leaveIfFinished(view)) {
    return;
  }
  applyState(view);
  scheduleSync(); // polls every 5 s while paused, every 60 s otherwise
}

const socket = connectSocket({
  path: '/ws/attempts/',
  auth: { type: 'auth', token: config.token },
  onEvent: (event) => {
    if (event.kind === 'attempt.state') {
      onStateEvent(event);
    } else {
      proctorMessages.handleEvent(event);
    }
  },
  onStatus: (status) => {
    app.dataset.live = status; // "ready" while events arrive (tests wait for it)
    if (status === 'ready' && !exam.finished) {
      if (exam.loaded) {
        syncNow(); // catch up on a state change missed while away
      }
      proctorMessages.catchUp();
    }
  },
});

load();
