/**
 * Camera measurements shared by the device check (static/devicecheck/devicecheck.js)
 * and the phone page (static/proctoring/phone.js) — static/core/media.js.
 *
 * Measures, never judges: the server decides from these numbers.
 *
 * - `detectBrowser(otherLabel)` → `{name, label, version}` from the user agent
 *   (QQ and 360 report their Chromium core version; WeChat's in-app browser is
 *   named by its engine, Chrome on Android, Safari on iOS).
 * - `permissionFromQuery(name)` → "granted" | "denied" | "prompt" | "unknown".
 * - `frameLuma(context, video, width, height)` → Float32Array of luma values of
 *   one frame drawn small.
 * - `measureFrames(video)` → `{brightness, frame_difference}`: mean brightness of
 *   a few sampled frames and the largest mean |Δ| between two in a row (0 for a
 *   frozen camera).
 * - `sleep(ms)`.
 *
 * No user-visible text is written here: callers pass their translated labels.
 */

export const SAMPLE_WIDTH = 160;
export const SAMPLE_HEIGHT = 120;
export const SAMPLES = 10;
export const SAMPLE_EVERY_MS = 200;

export function sleep(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

// --- compatibility ------------------------------------------------------------

const BROWSERS = [
  // [key, display name, pattern]; 360 and QQ report their Chromium core version.
  ['qq', 'QQ', /QQBrowser\//],
  ['360', '360', /(QihooBrowser|QHBrowser|360SE|360EE)/],
  ['edge', 'Edge', /Edg(e|A|iOS)?\/(\d[\d.]*)/],
  ['opera', 'Opera', /OPR\/(\d[\d.]*)/],
  ['firefox', 'Firefox', /(Firefox|FxiOS)\/(\d[\d.]*)/],
  ['chrome', 'Chrome', /(Chrome|CriOS)\/(\d[\d.]*)/],
  ['safari', 'Safari', /Version\/(\d[\d.]*).*Safari\//],
  ['ie', 'Internet Explorer', /(MSIE |Trident\/.*rv:)(\d[\d.]*)/],
];

export function cleanVersion(raw) {
  const parts = String(raw || '').split('.').filter((part) => /^\d+$/.test(part));
  return parts.slice(0, 4).map((part) => part.slice(0, 8)).join('.').replace(/^(\d{5})\d*/, '$1');
}

/** The iOS version of an iPhone or iPad user agent ("17.4"), or "". */
function iosVersion(ua) {
  const match = ua.match(/(?:iPhone|iPad|iPod).*? OS (\d+)[_.](\d+)/);
  return match ? `${match[1]}.${match[2]}` : '';
}

/**
 * @param {string} otherLabel the translated name of a browser not recognised
 * @returns {{name: string, label: string, version: string}}
 */
export function detectBrowser(otherLabel = '') {
  const ua = navigator.userAgent || '';
  for (const [key, label, pattern] of BROWSERS) {
    const match = ua.match(pattern);
    if (!match) {
      continue;
    }
    let version = match[match.length - 1];
    if (key === 'qq' || key === '360') {
      version = (ua.match(/Chrome\/(\d[\d.]*)/) || [])[1];
    }
    return { name: key, label, version: cleanVersion(version) };
  }
  if (/MicroMessenger\//.test(ua) && iosVersion(ua)) {
    // WeChat on iOS: WebKit without "Version/… Safari/"; its engine is the system's.
    return { name: 'safari', label: 'Safari', version: cleanVersion(iosVersion(ua)) };
  }
  return { name: 'other', label: otherLabel, version: '' };
}

// --- permission ---------------------------------------------------------------

export async function permissionFromQuery(name) {
  try {
    const result = await navigator.permissions.query({ name });
    return ['granted', 'denied', 'prompt'].includes(result.state) ? result.state : 'unknown';
  } catch {
    return 'unknown';
  }
}

// --- frames -------------------------------------------------------------------

export function frameLuma(context, video, width = SAMPLE_WIDTH, height = SAMPLE_HEIGHT) {
  context.drawImage(video, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  const luma = new Float32Array(width * height);
  for (let pixel = 0, offset = 0; pixel < luma.length; pixel += 1, offset += 4) {
    luma[pixel] = 0.299 * data[offset] + 0.587 * data[offset + 1] + 0.114 * data[offset + 2];
  }
  return luma;
}

/** Mean brightness of the sampled frames and the largest mean |Δ| between two in a row. */
export async function measureFrames(video, { samples = SAMPLES, everyMs = SAMPLE_EVERY_MS } = {}) {
  const canvas = document.createElement('canvas');
  canvas.width = SAMPLE_WIDTH;
  canvas.height = SAMPLE_HEIGHT;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let previous = null;
  let brightnessSum = 0;
  let difference = 0;
  for (let sample = 0; sample < samples; sample += 1) {
    const luma = frameLuma(context, video);
    let sum = 0;
    let delta = 0;
    for (let pixel = 0; pixel < luma.length; pixel += 1) {
      sum += luma[pixel];
      if (previous) {
        delta += Math.abs(luma[pixel] - previous[pixel]);
      }
    }
    brightnessSum += sum / luma.length;
    if (previous) {
      difference = Math.max(difference, delta / luma.length);
    }
    previous = luma;
    await sleep(everyMs);
  }
  return {
    brightness: Math.round((brightnessSum / samples) * 100) / 100,
    frame_difference: Math.round(difference * 1000) / 1000,
  };
}

/** Wait until the video shows frames (at most `timeoutMs`); true when it does. */
export async function waitForFrames(video, timeoutMs = 5000) {
  for (let waited = 0; video.readyState < 2 && waited < timeoutMs; waited += 100) {
    await sleep(100);
  }
  return video.readyState >= 2;
}

/**
 * One JPEG of the video, scaled to at most `maxWidth` pixels wide.
 * @returns {Promise<Blob|null>} null when the video shows nothing yet
 */
export function captureJpeg(video, { maxWidth = 640, quality = 0.7 } = {}) {
  const width = video.videoWidth;
  const height = video.videoHeight;
  if (!width || !height || video.readyState < 2) {
    return Promise.resolve(null);
  }
  const scale = Math.min(1, maxWidth / width);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => {
    canvas.toBlob((blob) => resolve(blob), 'image/jpeg', quality);
  });
}
