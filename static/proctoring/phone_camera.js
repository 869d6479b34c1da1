/**
 * The phone page's camera (proctoring/phone.html) — static/proctoring/phone_camera.js.
 *
 * `createCamera({video, emptyBox, emptyText, strings, onEnded})` owns the one live
 * picture of the page: `open(facing)` ("user": the front camera, as a mirror;
 * "environment": the back one) starts it and answers the camera permission as
 * the checks report it; `measure(facing)` opens it and collects what the phone's
 * four checks send (`POST /api/phone/checks`), with the lines the list shows
 * beside the server's verdicts; `isLive()`, `stop()`. `onEnded` is called when
 * the system stops the camera (another app took it, the page went to the
 * background on iOS).
 *
 * Measures, never judges: the server decides from these numbers.
 */
import {
  detectBrowser,
  measureFrames,
  permissionFromQuery,
  waitForFrames,
} from '../core/media.js';
import { format } from '../core/api.js';

export function createCamera({ video, emptyBox, emptyText, strings, onEnded = () => {} }) {
  let stream = null;

  function track() {
    return stream ? stream.getVideoTracks()[0] || null : null;
  }

  function stop() {
    if (stream) {
      stream.getTracks().forEach((each) => each.stop());
    }
    stream = null;
    video.srcObject = null;
  }

  function isLive() {
    const current = track();
    return Boolean(current && current.readyState === 'live');
  }

  /** Start the camera facing `facing`; what it says about the permission. */
  async function open(facing) {
    stop();
    emptyBox.hidden = false;
    emptyText.textContent = strings.cameraStarting;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      emptyText.textContent = strings.cameraOff;
      return 'unknown';
    }
    let permission = 'granted';
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: facing }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      stream = null;
      const state = await permissionFromQuery('camera');
      if (error.name === 'NotAllowedError' || error.name === 'SecurityError') {
        permission = state === 'prompt' ? 'prompt' : 'denied';
      } else {
        permission = state;
      }
    }
    video.classList.toggle('is-mirrored', facing === 'user');
    video.srcObject = stream;
    if (!stream) {
      emptyText.textContent = strings.cameraOff;
      return permission;
    }
    const current = track();
    if (current) {
      current.addEventListener('ended', () => {
        if (track() === current) {
          onEnded();
        }
      });
    }
    try {
      await video.play();
    } catch {
      // a muted inline video may play; a failure shows as "no frames"
    }
    emptyBox.hidden = await waitForFrames(video);
    return permission;
  }

  async function countCameras() {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.filter((device) => device.kind === 'videoinput').length;
    } catch {
      return stream ? 1 : 0;
    }
  }

  /** Open the camera and collect the four checks' measurements. */
  async function measure(facing) {
    const browser = detectBrowser(strings.otherBrowser);
    const permission = await open(facing);
    const cameraCount = Math.min(await countCameras(), 64);
    const current = track();
    const camera = { width: null, height: null, brightness: null, frame_difference: null };
    if (stream && video.readyState >= 2) {
      camera.width = video.videoWidth || null;
      camera.height = video.videoHeight || null;
      Object.assign(camera, await measureFrames(video));
    }
    return {
      measurements: {
        browser: { name: browser.name, version: browser.version },
        features: {
          getusermedia: Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia),
          websocket: typeof window.WebSocket === 'function',
          wakelock: 'wakeLock' in navigator,
        },
        permissions: { camera: permission },
        devices: {
          camera_count: cameraCount,
          camera_label: current ? String(current.label || '').slice(0, 200) : '',
        },
        camera,
      },
      details: {
        compatibility: format(strings.browser,
          { browser: browser.label, version: browser.version }).trim(),
        devices: facing === 'user' ? strings.front : strings.back,
        availability: camera.width
          ? format(strings.resolution, { width: camera.width, height: camera.height }) : '',
      },
    };
  }

  return { open, stop, isLive, measure };
}
