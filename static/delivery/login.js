/**
 * Candidate sign-in page (delivery/login.html) — static/delivery/login.js.
 *
 * Step 3 of the candidate's path: admission ticket number + ID number for the
 * subject chosen on the previous page. Posts to
 * `POST /api/exams/{exam}/login` with the CSRF token; on success the server
 * has set the session cookie and we go to `next_url` (the device check).
 * Errors are shown as the server worded them in `#login-error`; the fields
 * keep what the candidate typed. A 429 disables `#login-button` and counts
 * down `details.retry_after_seconds`; a 422 marks the fields it names.
 */
import { createApiClient, format, readJsonScript } from '../core/api.js';

const strings = readJsonScript('i18n');
const form = document.getElementById('login-form');
const button = document.getElementById('login-button');
const spinner = button.querySelector('.spinner-border');
const errorBox = document.getElementById('login-error');
const errorMessage = document.getElementById('login-error-message');
const retryLine = document.getElementById('login-retry');
const fields = {
  ticket_number: document.getElementById('ticket_number'),
  id_number: document.getElementById('id_number'),
};

const api = createApiClient({
  base: form.dataset.apiBase,
  csrf: true,
  messages: { network: strings.network, server: strings.server },
});

let lockedUntil = 0;
let countdownTimer = null;
let busy = false;

function setBusy(value) {
  busy = value;
  spinner.hidden = !value;
  updateButton();
}

function updateButton() {
  button.disabled = busy || Date.now() < lockedUntil;
}

function showError(message) {
  errorMessage.textContent = message;
  errorBox.hidden = false;
}

function clearErrors() {
  errorBox.hidden = true;
  errorMessage.textContent = '';
  for (const input of Object.values(fields)) {
    input.classList.remove('is-invalid');
    input.removeAttribute('aria-invalid');
  }
}

function markInvalid(name, message) {
  const input = fields[name];
  if (!input) {
    return;
  }
  input.classList.add('is-invalid');
  input.setAttribute('aria-invalid', 'true');
  if (message) {
    document.getElementById(`${name}-feedback`).textContent = message;
  }
}

function startCountdown(seconds) {
  lockedUntil = Date.now() + Math.max(1, Math.ceil(seconds)) * 1000;
  clearInterval(countdownTimer);
  const tick = () => {
    const left = Math.ceil((lockedUntil - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(countdownTimer);
      retryLine.hidden = true;
      updateButton();
      return;
    }
    const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    retryLine.textContent = format(strings.retryIn, { time: clock });
    retryLine.hidden = false;
    updateButton();
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
}

/** Client-side presence check only; the server validates the numbers. */
function validate(values) {
  let ok = true;
  if (!values.ticket_number) {
    markInvalid('ticket_number', strings.ticketRequired);
    ok = false;
  }
  if (!values.id_number) {
    markInvalid('id_number', strings.idRequired);
    ok = false;
  }
  if (!ok) {
    showError(strings.fillIn);
    (values.ticket_number ? fields.id_number : fields.ticket_number).focus();
  }
  return ok;
}

function handleError(error) {
  const details = error.details || {};
  showError(error.message || strings.server);
  if (error.status === 429) {
    startCountdown(Number(details.retry_after_seconds) || 60);
  } else if (error.status === 422 && Array.isArray(details.fields)) {
    for (const item of details.fields) {
      markInvalid(String(item.field || '').split('.').pop(), '');
    }
  } else if (error.code === 'login_failed') {
    fields.ticket_number.focus();
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy || Date.now() < lockedUntil) {
    return;
  }
  clearErrors();
  const values = {
    subject_code: form.dataset.subjectCode,
    ticket_number: fields.ticket_number.value.trim(),
    id_number: fields.id_number.value.trim(),
  };
  if (!validate(values)) {
    return;
  }
  setBusy(true);
  try {
    const result = await api.post(
      `exams/${encodeURIComponent(form.dataset.examCode)}/login`,
      values,
    );
    window.location.assign(result.next_url);
  } catch (error) {
    setBusy(false);
    handleError(error);
  }
});

// Back/forward cache: never come back to a spinning, disabled button.
window.addEventListener('pageshow', () => setBusy(false));
