/**
 * Device-check page (devicecheck/page.html) — static/devicecheck/devicecheck.js.
 *
 * Measures, never judges: it collects what the browser offers (browser and
 * version, features, camera/microphone permission, devices, frame size,
 * brightness and movement of sampled frames, microphone level, an extra
 * screen, download and upload speed) and posts it to
 * `POST /api/attempts/{id}/device-check`; the server's verdicts (per check:
 * status and localised hints) are what the list shows.
 *
 * The camera and microphone in use are remembered in localStorage
 * (`examhall.devicecheck.camera` / `.microphone`: device ids; the identity page
 * reads the camera's) and a choice in the selectors restarts the check with them. The level meter (`#mic-meter`, aria-valuenow 0-100) follows the
 * microphone's RMS level through a Web Audio AnalyserNode.
 */
import { createApiClient, format, readJsonScript } from '../core/api.js';
import {
  detectBrowser as detectBrowserNamed,
  measureFrames as measureVideoFrames,
  permissionFromQuery,
  SAMPLE_EVERY_MS,
  SAMPLES,
  sleep,
  waitForFrames,
} from '../core/media.js';
import { remember, remembered } from '../core/storage.js';

const STORAGE_CAMERA = 'examhall.devicecheck.camera';
const STORAGE_MICROPHONE = 'examhall.devicecheck.microphone';
const PROBE_BYTES = 256 * 1024;
const FULL_DOWNLOAD_BYTES = 4 * 1024 * 1024;
const FULL_UPLOAD_BYTES = 2 * 1024 * 1024;
const FAST_PROBE_SECONDS = 0.5;
const NETWORK_TIMEOUT_MS = 20000;

const strings = readJsonScript('i18n');
const app = document.getElementById('device-app');
const { attemptId, token, apiBase } = app.dataset;
const video = document.getElementById('preview');
const previewEmpty = document.getElementById('preview-empty');
const previewEmptyText = document.getElementById('preview-empty-text');
const cameraSelect = document.getElementById('camera-select');
const microphoneSelect = document.getElementById('microphone-select');
const meter = document.getElementById('mic-meter');
const meterBar = document.getElementById('mic-meter-bar');
const list = document.getElementById('device-checks');
const errorBox = document.getElementById('device-error');
const statusLine = document.getElementById('device-status');
const againButton = document.getElementById('again-button');
const backLink = document.getElementById('back-link');
const backButton = document.getElementById('back-button');

const api = createApiClient({
  base: apiBase,
  token,
  messages: { network: strings.network, server: strings.server },
});
const attemptPath = `attempts/${encodeURIComponent(attemptId)}`;

const ICONS = {
  pending: 'bi bi-hourglass-split eh-check-icon is-pending',
  passed: 'bi bi-check-circle-fill eh-check-icon is-passed',
  failed: 'bi bi-x-circle-fill eh-check-icon is-failed',
  warning: 'bi bi-exclamation-triangle-fill eh-check-icon is-warning',
};

let videoStream = null;
let audioStream = null;
let audioContext = null;
let analyser = null;
let meterFrame = 0;
let peakLevel = 0;
let running = false;

// --- small helpers ------------------------------------------------------------

function showError(message) {
  errorBox.textContent = message || '';
  errorBox.hidden = !message;
}

function item(check) {
  return list.querySelector(`[data-check="${check}"]`);
}

function setItem(check, status, { state = '', detail = '', problems = [] } = {}) {
  const element = item(check);
  if (!element) {
    return;
  }
  element.dataset.status = status;
  element.querySelector('.eh-check-icon').className = ICONS[status] || ICONS.pending;
  const stateLine = element.querySelector('[data-role="state"]');
  stateLine.textContent = state || strings[status] || strings.checking;
  stateLine.className = `small ${
    { passed: 'text-success', failed: 'text-danger', warning: 'eh-text-warning' }[status]
    || 'text-body-secondary'
  }`;
  const detailLine = element.querySelector('[data-role="detail"]');
  detailLine.textContent = detail;
  detailLine.hidden = !detail;
  const problemList = element.querySelector('[data-role="problems"]');
  problemList.replaceChildren(...problems.map((problem) => {
    const line = document.createElement('li');
    line.dataset.code = problem.code;
    line.textContent = problem.message;
    return line;
  }));
  problemList.hidden = problems.length === 0;
}

// --- compatibility ------------------------------------------------------------

function detectBrowser() {
  return detectBrowserNamed(strings.otherBrowser);
}

function detectFeatures() {
  return {
    getusermedia: Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia),
    websocket: typeof window.WebSocket === 'function',
    indexeddb: Boolean(window.indexedDB),
    fullscreen: Boolean(document.fullscreenEnabled || document.webkitFullscreenEnabled),
  };
}

// --- permission and devices ---------------------------------------------------

/** Open one kind of device: the stream and what it says about the permission. */
async function openDevice(kind, deviceId) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return { stream: null, permission: 'unknown' };
  }
  const constraints = kind === 'video'
    ? { video: { width: { ideal: 1280 }, height: { ideal: 720 },
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}) } }
    : { audio: deviceId ? { deviceId: { exact: deviceId } } : true };
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(constraints),
      permission: 'granted' };
  } catch (error) {
    if (deviceId && (error.name === 'OverconstrainedError' || error.name === 'NotFoundError')) {
      return openDevice(kind, ''); // the remembered device is gone: take the default one
    }
    const name = kind === 'video' ? 'camera' : 'microphone';
    if (error.name === 'NotAllowedError' || error.name === 'SecurityError') {
      const state = await permissionFromQuery(name);
      return { stream: null, permission: state === 'prompt' ? 'prompt' : 'denied' };
    }
    return { stream: null, permission: await permissionFromQuery(name) };
  }
}

async function listDevices() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: devices.filter((device) => device.kind === 'videoinput'),
      microphones: devices.filter((device) => device.kind === 'audioinput'),
    };
  } catch {
    return { cameras: [], microphones: [] };
  }
}

function fillSelect(select, devices, chosenId, nameTemplate, emptyText) {
  select.replaceChildren(...devices.map((device, index) => {
    const option = document.createElement('option');
    option.value = device.deviceId;
    option.textContent = device.label || format(nameTemplate, { n: index + 1 });
    option.selected = device.deviceId === chosenId;
    return option;
  }));
  if (devices.length === 0) {
    const option = document.createElement('option');
    option.textContent = emptyText;
    select.append(option);
  }
  select.disabled = devices.length < 2 || running;
}

function trackDeviceId(stream) {
  const track = stream && stream.getTracks()[0];
  return (track && track.getSettings && track.getSettings().deviceId) || '';
}

function selectedLabel(select) {
  const option = select.selectedOptions[0];
  return option && option.value ? option.textContent.slice(0, 200) : '';
}

// --- camera and microphone measurements ---------------------------------------

function stopStreams() {
  for (const stream of [videoStream, audioStream]) {
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
    }
  }
  videoStream = null;
  audioStream = null;
  cancelAnimationFrame(meterFrame);
  if (audioContext) {
    audioContext.close().catch(() => {});
  }
  audioContext = null;
  analyser = null;
}

async function showPreview(stream) {
  video.srcObject = stream;
  previewEmpty.hidden = Boolean(stream);
  if (!stream) {
    previewEmptyText.textContent = strings.cameraOff;
    return false;
  }
  try {
    await video.play();
  } catch {
    // autoplay of a muted stream is allowed; a failure shows as "no frames"
  }
  return waitForFrames(video);
}

function measureFrames() {
  return measureVideoFrames(video);
}

function startMeter(stream) {
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (!stream || !AudioContextClass) {
    return;
  }
  audioContext = new AudioContextClass();
  analyser = audioContext.createAnalyser();
  analyser.fftSize = 2048;
  audioContext.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const draw = () => {
    analyser.getFloatTimeDomainData(samples);
    let squares = 0;
    for (const value of samples) {
      squares += value * value;
    }
    const rms = Math.sqrt(squares / samples.length);
    peakLevel = Math.max(peakLevel, rms);
    // Speech sits around 0.05-0.3 RMS: a square root spreads it over the bar.
    const percent = Math.min(100, Math.round(Math.sqrt(rms) * 140));
    meterBar.style.width = `${percent}%`;
    meter.setAttribute('aria-valuenow', String(percent));
    meterFrame = requestAnimationFrame(draw);
  };
  draw();
}

// --- network ------------------------------------------------------------------

function authHeaders() {
  return { Authorization: `Bearer ${token}` };
}

function networkUrl(query = '') {
  return `${apiBase.replace(/\/+$/, '')}/${attemptPath}/network-test${query}`;
}

async function timed(run) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NETWORK_TIMEOUT_MS);
  const started = performance.now();
  try {
    const response = await run(controller.signal);
    if (!response.ok) {
      return null;
    }
    await response.arrayBuffer();
    return Math.max((performance.now() - started) / 1000, 0.001);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

function download(bytes) {
  return timed((signal) => fetch(networkUrl(`?bytes=${bytes}`), {
    headers: authHeaders(), cache: 'no-store', signal,
  }));
}

function randomBody(bytes) {
  const body = new Uint8Array(bytes);
  const chunk = new Uint8Array(65536);
  crypto.getRandomValues(chunk);
  for (let offset = 0; offset < bytes; offset += chunk.length) {
    body.set(chunk.subarray(0, Math.min(chunk.length, bytes - offset)), offset);
  }
  return body;
}

function upload(bytes) {
  const body = randomBody(bytes);
  return timed((signal) => fetch(networkUrl(), {
    method: 'POST',
    headers: { ...authHeaders(), 'Content-Type': 'application/octet-stream' },
    body,
    signal,
  }));
}

function mbps(bytes, seconds) {
  return seconds ? Math.round(((bytes * 8) / seconds / 1e6) * 10) / 10 : null;
}

/** A small probe first; a fast line gets a larger transfer for a steadier figure. */
async function measureSpeed(transfer, fullBytes) {
  const probe = await transfer(PROBE_BYTES);
  if (probe === null) {
    return null;
  }
  if (probe >= FAST_PROBE_SECONDS) {
    return mbps(PROBE_BYTES, probe);
  }
  const full = await transfer(fullBytes);
  return full === null ? mbps(PROBE_BYTES, probe) : mbps(fullBytes, full);
}

// --- the run --------------------------------------------------------------------

function setRunning(value) {
  running = value;
  againButton.disabled = value;
  cameraSelect.disabled = value || cameraSelect.options.length < 2;
  microphoneSelect.disabled = value || microphoneSelect.options.length < 2;
}

function resetItems() {
  list.querySelectorAll('[data-check]').forEach((element) => {
    setItem(element.dataset.check, 'pending');
  });
  backButton.hidden = true;
  backLink.hidden = false;
  showError('');
}

async function collect() {
  const browser = detectBrowser();
  const features = detectFeatures();
  stopStreams();
  peakLevel = 0;

  const videoResult = await openDevice('video', remembered(STORAGE_CAMERA));
  const audioResult = await openDevice('audio', remembered(STORAGE_MICROPHONE));
  videoStream = videoResult.stream;
  audioStream = audioResult.stream;
  // The devices in use are the candidate's choice from now on (the identity page
  // reads the camera's too).
  if (trackDeviceId(videoStream)) {
    remember(STORAGE_CAMERA, trackDeviceId(videoStream));
  }
  if (trackDeviceId(audioStream)) {
    remember(STORAGE_MICROPHONE, trackDeviceId(audioStream));
  }
  const { cameras, microphones } = await listDevices();
  fillSelect(cameraSelect, cameras, trackDeviceId(videoStream), strings.cameraN,
    strings.noCamera);
  fillSelect(microphoneSelect, microphones, trackDeviceId(audioStream), strings.microphoneN,
    strings.noMicrophone);

  startMeter(audioStream);
  if (audioContext && audioContext.state === 'suspended') {
    await audioContext.resume().catch(() => {});
  }
  const camera = { width: null, height: null, brightness: null, frame_difference: null };
  if (await showPreview(videoStream)) {
    camera.width = video.videoWidth || null;
    camera.height = video.videoHeight || null;
    Object.assign(camera, await measureFrames());
  } else {
    await sleep(SAMPLES * SAMPLE_EVERY_MS); // let the microphone be heard all the same
  }

  statusLine.textContent = strings.networkRunning;
  const down = await measureSpeed(download, FULL_DOWNLOAD_BYTES);
  const up = await measureSpeed(upload, FULL_UPLOAD_BYTES);

  const extended = window.screen && typeof window.screen.isExtended === 'boolean'
    ? window.screen.isExtended : null;
  return {
    display: { browser, camera },
    measurements: {
      browser: { name: browser.name, version: browser.version },
      features,
      permissions: { camera: videoResult.permission, microphone: audioResult.permission },
      devices: {
        camera_count: Math.min(cameras.length, 64),
        microphone_count: Math.min(microphones.length, 64),
        camera_label: selectedLabel(cameraSelect),
        microphone_label: selectedLabel(microphoneSelect),
      },
      camera,
      microphone: { peak_level: audioStream ? Math.min(1, Math.round(peakLevel * 1e4) / 1e4)
        : null },
      screen_extended: extended,
      network: { down_mbps: down, up_mbps: up },
    },
  };
}

function details({ browser, camera }, measurements, minMbps) {
  const { down_mbps: down, up_mbps: up } = measurements.network;
  return {
    compatibility: format(strings.browser, { browser: browser.label, version: browser.version })
      .trim(),
    devices: [selectedLabel(cameraSelect), selectedLabel(microphoneSelect)]
      .filter(Boolean).join(' · '),
    availability: camera.width
      ? format(strings.resolution, { width: camera.width, height: camera.height }) : '',
    display: measurements.screen_extended === false ? strings.oneDisplay : '',
    network: down !== null && up !== null
      ? format(strings.speed, { down, up, min: minMbps }) : '',
  };
}

function showVerdicts(result, collected) {
  const texts = details(collected.display, collected.measurements, result.min_network_mbps);
  for (const verdict of result.verdicts) {
    setItem(verdict.check, verdict.status, {
      detail: texts[verdict.check] || '',
      problems: verdict.problems,
    });
  }
  app.dataset.passed = String(result.passed);
  statusLine.textContent = result.passed ? strings.allPassed : strings.notPassed;
  backButton.hidden = !result.passed;
  backLink.hidden = result.passed;
}

async function run() {
  if (running) {
    return;
  }
  setRunning(true);
  resetItems();
  delete app.dataset.passed;
  statusLine.textContent = strings.running;
  try {
    const collected = await collect();
    const result = await api.post(`${attemptPath}/device-check`, collected.measurements);
    showVerdicts(result, collected);
  } catch (error) {
    statusLine.textContent = '';
    showError(error.message || strings.server);
    if (error.status === 409) {
      window.location.replace(app.dataset.checkUrl);
    }
  } finally {
    setRunning(false);
  }
}

cameraSelect.addEventListener('change', () => {
  remember(STORAGE_CAMERA, cameraSelect.value);
  run();
});
microphoneSelect.addEventListener('change', () => {
  remember(STORAGE_MICROPHONE, microphoneSelect.value);
  run();
});
againButton.addEventListener('click', () => {
  run();
});
window.addEventListener('pagehide', stopStreams);

run();
