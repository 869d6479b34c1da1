/**
 * Identity verification page (identity/verify.html) — static/identity/verify.js.
 *
 * Shows the camera (mirrored, like a mirror) with an oval to put the face in.
 * "Start verification" asks the server for a try (`POST .../identity/captures`):
 * it answers the liveness challenge it picked (blink, turn_left, turn_right, or
 * none) and how many frames to take. The page shows the instruction, takes the
 * frames from the camera (not mirrored) as JPEG and uploads them
 * (`POST .../identity/captures/{id}`, multipart `frames`). The server decides and
 * answers the outcome: verified (back to the check page), a reason to act on
 * with the tries left, or "a proctor is checking" (the check page waits).
 *
 * The camera chosen on the device check (localStorage `examhall.devicecheck.camera`) is
 * used when it is still there.
 */
import { createApiClient, format, readJsonScript } from '../core/api.js';

const CAMERA_KEY = 'examhall.devicecheck.camera'; // the device check's choice
const READY_MS = 1500; // time to read the instruction before the pictures

const strings = readJsonScript('i18n');
const app = document.getElementById('identity-app');
const { attemptId, token, checkUrl } = app.dataset;
const byId = (id) => document.getElementById(id);
const el = {
  stage: byId('stage'),
  video: byId('preview'),
  challenge: byId('challenge'),
  challengeIcon: byId('challenge-icon'),
  challengeText: byId('challenge-text'),
  cameraError: byId('camera-error'),
  cameraErrorText: byId('camera-error-text'),
  progress: byId('capture-progress'),
  bar: byId('capture-bar'),
  button: byId('verify-button'),
  label: byId('verify-label'),
  spinner: byId('verify-button').querySelector('.spinner-border'),
  triesLeft: byId('tries-left'),
  result: byId('result'),
};
const api = createApiClient({
  base: app.dataset.apiBase,
  token,
  messages: { network: strings.network, server: strings.server },
  timeoutMs: 60000, // the server analyses every frame of the burst
});
const attemptPath = `attempts/${encodeURIComponent(attemptId)}`;
const canvas = document.createElement('canvas');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ICONS = { blink: 'bi-eye', turn_left: 'bi-arrow-left-circle', turn_right: 'bi-arrow-right-circle' };

let busy = false;

function showResult(kind, message) {
  el.result.className = `alert alert-${kind}`;
  el.result.textContent = message;
  el.result.classList.toggle('d-none', !message);
}

function showChallenge(text, icon) {
  el.challenge.hidden = !text;
  el.challengeText.textContent = text || '';
  el.challengeIcon.className = `bi ${icon || 'bi-person-bounding-box'}`;
}

function setBusy(value, label) {
  busy = value;
  el.button.disabled = value;
  el.spinner.hidden = !value;
  if (label) {
    el.label.textContent = label;
  }
}

function showTries(identity) {
  el.triesLeft.textContent = identity.require_face_match && identity.tries_left >= 0
    ? format(strings.triesLeft, { count: identity.tries_left }) : '';
}

async function startCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error(strings.noCameraApi);
  }
  const chosen = localStorage.getItem(CAMERA_KEY);
  const video = { width: { ideal: 640 }, height: { ideal: 480 } };
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: chosen ? { ...video, deviceId: { exact: chosen } } : video, audio: false,
    });
  } catch {
    // The chosen camera is gone (or none was chosen): any camera.
    stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
  }
  el.video.srcObject = stream;
  await el.video.play();
}

/** One frame of the camera as a JPEG blob (as the camera sees it, not mirrored). */
function grabFrame() {
  const width = el.video.videoWidth || 640;
  const height = el.video.videoHeight || 480;
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').drawImage(el.video, 0, 0, width, height);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
}

async function takeFrames(count, intervalMs) {
  const frames = [];
  el.progress.hidden = false;
  for (let index = 0; index < count; index += 1) {
    frames.push(await grabFrame());
    el.bar.style.width = `${Math.round(((index + 1) / count) * 100)}%`;
    if (index < count - 1) {
      await sleep(intervalMs);
    }
  }
  return frames;
}

function finish(identity) {
  showTries(identity);
  el.stage.dataset.phase = identity.passed ? 'passed' : identity.status;
  if (identity.passed) {
    showResult('success', strings.passed);
    setBusy(true, strings.start);
    el.spinner.hidden = true;
    setTimeout(() => window.location.assign(checkUrl), 1200);
    return;
  }
  if (identity.status === 'review' || identity.status === 'rejected') {
    showResult('warning', identity.message);
    setBusy(true, strings.again);
    el.spinner.hidden = true;
    setTimeout(() => window.location.assign(checkUrl), 4000);
    return;
  }
  if (identity.message) {
    showResult('danger', identity.message);
  }
  setBusy(false, identity.message ? strings.again : strings.start);
}

async function verify() {
  if (busy) {
    return;
  }
  setBusy(true, strings.checking);
  showResult('', '');
  el.bar.style.width = '0%';
  try {
    const capture = await api.post(`${attemptPath}/identity/captures`);
    el.stage.dataset.phase = 'capturing';
    showChallenge(strings.getReady, ICONS[capture.challenge]);
    await sleep(READY_MS);
    showChallenge(strings[`challenge_${capture.challenge}`] || strings.holdStill,
      ICONS[capture.challenge]);
    const frames = await takeFrames(capture.frames, capture.interval_ms);
    showChallenge('', '');
    el.stage.dataset.phase = 'checking';
    const form = new FormData();
    frames.forEach((blob, index) => form.append('frames', blob, `frame-${index}.jpg`));
    finish(await api.post(`${attemptPath}/identity/captures/${capture.capture_id}`, form));
  } catch (error) {
    showChallenge('', '');
    el.stage.dataset.phase = 'idle';
    if (error.code === 'identity_already_verified') {
      finish({ passed: true, status: 'passed' });
      return;
    }
    if (error.code === 'identity_in_review' || error.code === 'identity_rejected') {
      finish({ passed: false, status: error.code === 'identity_rejected' ? 'rejected' : 'review',
        message: error.message });
      return;
    }
    showResult('danger', error.message || strings.server);
    setBusy(false, strings.again);
  } finally {
    el.progress.hidden = true;
  }
}

async function init() {
  try {
    await startCamera();
  } catch (error) {
    el.cameraError.hidden = false;
    el.cameraErrorText.textContent = error.message && error.message === strings.noCameraApi
      ? strings.noCameraApi : strings.cameraFailed;
    return;
  }
  try {
    const identity = await api.get(`${attemptPath}/identity`);
    showTries(identity);
    if (identity.passed || identity.status === 'review' || identity.status === 'rejected') {
      finish(identity);
      return;
    }
  } catch (error) {
    showResult('danger', error.message || strings.server);
  }
  setBusy(false, strings.start);
}

el.button.addEventListener('click', verify);
init();
