/**
 * The exam client's bridge on the candidate's attempt pages
 * (static/lockdown/client_bridge.js; ADR 0012).
 *
 * Inside the ExamHall exam client, `window.ExamHallClientInfo` is set before the page
 * runs, and the client calls `window.ExamHallClient.receiveReport(report)` after every
 * page load and at every re-check. This module sends each report to
 * `POST /api/attempts/<id>/client-environment` with the page's attempt token (the
 * client signs the request on its way out) and shows the server's answer: a banner
 * naming what changed and what to do.
 *
 * In an ordinary browser (`ExamHallClientInfo` absent) it does nothing.
 */

import { createApiClient } from '../core/api.js';

const SUCCESS_BANNER_MS = 15000;

function attemptApp() {
  return document.querySelector('[data-attempt-id][data-token][data-api-base]');
}

function bannerSlot(app) {
  // The exam page: under its top bar; other pages: at the top of the page's content.
  return app.querySelector('.eh-exam-layout') || app;
}

function showBanner(app, answer) {
  const old = document.getElementById('client-environment-banner');
  if (old) {
    old.remove();
  }
  if (!answer || !answer.message) {
    return;
  }
  const banner = document.createElement('div');
  banner.id = 'client-environment-banner';
  banner.className = `alert alert-${answer.level || 'warning'} d-flex gap-2 align-items-start`;
  banner.setAttribute('role', 'alert');
  const icon = document.createElement('i');
  icon.className = answer.level === 'success' ? 'bi bi-check-circle-fill mt-1'
    : 'bi bi-exclamation-triangle-fill mt-1';
  icon.setAttribute('aria-hidden', 'true');
  const text = document.createElement('div');
  text.textContent = answer.message;
  banner.append(icon, text);
  bannerSlot(app).prepend(banner);
  if (answer.level === 'success') {
    setTimeout(() => banner.remove(), SUCCESS_BANNER_MS);
  }
}

function install(app) {
  const api = createApiClient({ base: app.dataset.apiBase, token: app.dataset.token });
  const path = `attempts/${app.dataset.attemptId}/client-environment`;
  let sending = false;
  let waiting = null; // the newest report that arrived while one was being sent

  async function send(report) {
    if (sending) {
      waiting = report;
      return;
    }
    sending = true;
    try {
      const answer = await api.post(path, report);
      showBanner(app, answer);
      document.dispatchEvent(new CustomEvent('examhall:client-environment',
        { detail: answer }));
    } catch (error) {
      // The client re-checks on its own; a lost report is replaced by the next one.
      console.warn('client environment report not accepted', error.code || error);
    } finally {
      sending = false;
      if (waiting) {
        const next = waiting;
        waiting = null;
        send(next);
      }
    }
  }

  window.ExamHallClient = {
    receiveReport(report) {
      if (report && typeof report === 'object') {
        send(report);
      }
    },
  };
}

const app = attemptApp();
if (window.ExamHallClientInfo && app) {
  install(app);
}
