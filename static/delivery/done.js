/**
 * After submitting (delivery/done.html) — static/delivery/done.js.
 *
 * GETs the attempt once and shows the outcome: "Your score: X / Y" in
 * `#score` when the exam shows scores on submit (`result.show_score`),
 * otherwise "Submitted. Results will be published later." in
 * `#result-message`. An exam a proctor ended (`submit_reason` "proctor") says
 * so in `#ended-by-proctor`. A voided attempt says so. Shows no question and
 * nothing editable.
 */
import { createApiClient, format, readJsonScript } from '../core/api.js';

const strings = readJsonScript('i18n');
const app = document.getElementById('done-app');
const { attemptId, token } = app.dataset;
const lang = document.documentElement.lang || undefined;
const byId = (id) => document.getElementById(id);

const api = createApiClient({
  base: app.dataset.apiBase,
  token,
  messages: { network: strings.network, server: strings.server },
});

function formatNumber(value) {
  const number = Number(value);
  return Number.isFinite(number)
    ? new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(number)
    : String(value);
}

function showResult(view) {
  byId('done-submitted').hidden = false;
  byId('ended-by-proctor').hidden = view.submit_reason !== 'proctor';
  if (view.submitted_at) {
    const time = new Date(view.submitted_at).toLocaleString(lang, {
      dateStyle: 'medium', timeStyle: 'short',
    });
    byId('submitted-at').textContent = format(strings.submittedAt, { time });
    byId('submitted-at').hidden = false;
  }
  const result = view.result;
  if (result && result.show_score && result.score !== null && result.score !== undefined) {
    byId('score').textContent = format(strings.score, {
      score: formatNumber(result.score),
      max: result.max_score === null || result.max_score === undefined
        ? '—' : formatNumber(result.max_score),
    });
    byId('score').dataset.score = String(result.score);
    byId('score-block').hidden = false;
  } else {
    byId('result-message').hidden = false;
  }
}

async function load() {
  try {
    const view = await api.get(`attempts/${encodeURIComponent(attemptId)}`);
    byId('done-loading').hidden = true;
    if (view.state === 'voided') {
      byId('done-voided').hidden = false;
    } else {
      showResult(view);
    }
  } catch (error) {
    byId('done-loading').hidden = true;
    byId('done-submitted').hidden = false;
    byId('result-message').hidden = false;
    byId('done-error').textContent = error.message || strings.server;
    byId('done-error').hidden = false;
  }
}

load();
