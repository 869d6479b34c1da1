/**
 * One candidate's tile of the room view — static/console/tile.js.
 *
 * `createTileDrawer(context)` returns `create(data)` (a tile from the page's
 * <template>, its element references kept) and `draw(tile)` / `drawTime(tile)` /
 * `drawCamera(tile, camera)`, which touch only what changed. The context gives the
 * texts and labels, the server clock, the grace period, the selection, and two
 * callbacks: `onCameraLost(tile, cameraName)` (a connected camera went silent) and
 * `drawLater(tile, ms)` (a picture waits for its swap slot: at most one per second
 * per camera).
 */

import { format } from '../core/api.js';
import { formatRemaining } from './time_left.js';

export const STATE_GROUPS = {
  registered: 'not_started', checking: 'checking', device_check: 'checking',
  identity_check: 'checking', identity_review: 'awaiting', awaiting_admission: 'awaiting',
  ready: 'ready', in_progress: 'in_exam', paused: 'paused', submitted: 'finished',
  graded: 'finished', voided: 'finished',
};
export const SEVERITY_RANK = { high: 3, medium: 2, low: 1 };
export const LIVE_STATES = new Set(['in_progress', 'paused']);
const IMAGE_SWAP_MS = 1000;

export function severityRank(data) {
  return Math.max(0, ...Object.entries(data.flags).filter(([, n]) => n > 0)
    .map(([severity]) => SEVERITY_RANK[severity] || 0));
}

/** Milliseconds left (frozen while paused), or null outside the exam. */
export function remaining(data, clock) {
  if (!LIVE_STATES.has(data.state)) {
    return null;
  }
  return clock.remainingMs(data.deadline, data.state === 'paused' ? data.paused_at : null);
}

export function setText(node, text) {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

/**
 * @param {object} context
 * @param {HTMLTemplateElement} context.template
 * @param {object} context.t the page's texts
 * @param {object} context.config the page's labels
 * @param {object} context.clock the server clock (time_left.js)
 * @param {() => number} context.graceMs
 * @param {Set<string>} context.selected registration ids
 * @param {(tile: object, camera: string) => void} context.onCameraLost
 * @param {(tile: object, ms: number) => void} context.drawLater
 */
export function createTileDrawer({ template, t, config, clock, graceMs, selected, onCameraLost,
  drawLater }) {
  function create(data) {
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.registrationId = data.registration_id;
    const cams = {};
    for (const camera of ['pc', 'phone']) {
      const figure = node.querySelector(`[data-camera="${camera}"]`);
      cams[camera] = {
        figure, img: figure.querySelector('img'), dot: figure.querySelector('.eh-cam-dot'),
        label: figure.querySelector('.eh-cam-label'), live: figure.querySelector('.eh-cam-live'),
        shownUrl: '', swappedAt: 0, connected: null,
      };
      cams[camera].live.querySelector('span').textContent = t.live_button;
      cams[camera].live.title = camera === 'pc' ? t.livePc : t.livePhone;
    }
    const refs = {
      select: node.querySelector('.eh-tile-select'), name: node.querySelector('.eh-tile-name'),
      ticket: node.querySelector('.eh-tile-ticket'), menu: node.querySelector('.eh-tile-menu'),
      state: node.querySelector('.eh-state'), time: node.querySelector('.eh-time'),
      flags: node.querySelector('.eh-flags'), hand: node.querySelector('.eh-hand'),
      reentry: node.querySelector('.eh-reentry'), topFlag: node.querySelector('.eh-top-flag'),
      outcome: node.querySelector('.eh-outcome'),
    };
    refs.reentry.querySelector('span').textContent = t.reentryAsked;
    // lostAlerted: cameras whose loss the alert feed already shows (this page saw it go
    // silent, or the server's "camera lost" flag came): one alert per loss, not two.
    return { data, node, refs, cams, seenFlags: new Set(), lostAlerted: new Set(), rendered: {} };
  }

  function drawCamera(tile, camera) {
    const { data } = tile;
    const cam = tile.cams[camera];
    const info = data[camera];
    const url = info.snapshot_url || '';
    if (url !== cam.shownUrl) {
      const wait = cam.swappedAt + IMAGE_SWAP_MS - performance.now();
      if (wait > 0) {
        drawLater(tile, wait);
      } else {
        cam.shownUrl = url;
        cam.swappedAt = performance.now();
        if (url) {
          cam.img.src = url;
        } else {
          cam.img.removeAttribute('src');
        }
        cam.img.hidden = !url;
        cam.figure.dataset.snapshot = url ? url.split('/').filter(Boolean).pop() : '';
      }
    }
    const name = camera === 'pc' ? t.pc : t.phone;
    const seen = info.last_seen_at ? Date.parse(info.last_seen_at) : null;
    const connected = seen !== null && clock.now() - seen < graceMs();
    const status = seen === null ? 'never' : connected ? 'connected' : 'lost';
    if (cam.connected === 'connected' && status === 'lost' && LIVE_STATES.has(data.state)
        && !tile.lostAlerted.has(camera)) {
      tile.lostAlerted.add(camera);
      onCameraLost(tile, name);
    } else if (status === 'connected') {
      tile.lostAlerted.delete(camera);
    }
    cam.connected = status;
    cam.figure.dataset.connection = status;
    const label = format(status === 'connected' ? t.cameraConnected
      : status === 'lost' ? t.cameraLost : t.cameraNever, { camera: name });
    setText(cam.label, name);
    cam.figure.title = label;
    cam.dot.setAttribute('aria-label', label);
    cam.live.hidden = !data.attempt_id || STATE_GROUPS[data.state] === 'finished'
      || STATE_GROUPS[data.state] === 'not_started';
  }

  function drawTime(tile) {
    const { data, refs } = tile;
    const ms = remaining(data, clock);
    if (ms === null) {
      setText(refs.time, '');
      refs.time.removeAttribute('aria-label');
      return;
    }
    setText(refs.time, ms <= 0 && data.state === 'in_progress' ? t.timeUp : formatRemaining(ms));
    refs.time.dataset.paused = String(data.state === 'paused');
    refs.time.dataset.low = String(data.state === 'in_progress' && ms < 5 * 60000);
    refs.time.setAttribute('aria-label', `${format(t.timeLeft, { time: formatRemaining(ms) })}`
      + (data.state === 'paused' ? ` (${t.paused})` : ''));
  }

  function drawFlags(tile) {
    const { data, refs } = tile;
    const key = `${data.flags.high}/${data.flags.medium}/${data.flags.low}`;
    if (tile.rendered.flags !== key) {
      tile.rendered.flags = key;
      refs.flags.replaceChildren();
      for (const severity of ['high', 'medium', 'low']) {
        const count = data.flags[severity] || 0;
        if (count) {
          const badge = document.createElement('span');
          badge.className = `badge eh-flag eh-flag-${severity}`;
          badge.dataset.severity = severity;
          badge.textContent = format(t[`flag${severity[0].toUpperCase()}${severity.slice(1)}`], { count });
          refs.flags.append(badge);
        }
      }
    }
    setText(refs.topFlag, data.top_flag || '');
  }

  function draw(tile) {
    const { data, node, refs } = tile;
    const id = data.registration_id;
    const group = STATE_GROUPS[data.state] || 'checking';
    node.dataset.state = data.state;
    node.dataset.group = group;
    node.dataset.attemptId = data.attempt_id || '';
    node.dataset.severity = String(severityRank(data));
    node.dataset.selected = String(selected.has(id));
    setText(refs.name, data.candidate);
    if (data.detail_url) {
      refs.name.href = data.detail_url;
    } else {
      refs.name.removeAttribute('href');
    }
    setText(refs.ticket, data.ticket_number);
    refs.select.checked = selected.has(id);
    refs.select.disabled = !data.attempt_id;
    refs.select.setAttribute('aria-label', format(t.select, { name: data.candidate }));
    refs.menu.setAttribute('aria-label', format(t.actionsFor, { name: data.candidate }));
    refs.menu.disabled = !data.attempt_id;
    setText(refs.state, data.state_label || config.stateLabels[data.state] || data.state);
    refs.state.className = `badge eh-state eh-state-${group}`;
    drawCamera(tile, 'pc');
    drawCamera(tile, 'phone');
    drawTime(tile);
    drawFlags(tile);
    refs.hand.hidden = !(data.unread_messages > 0);
    setText(refs.hand.querySelector('span'), format(t.handRaised, { count: data.unread_messages }));
    refs.hand.title = t.message;
    refs.reentry.hidden = !data.reentry_requested;
    refs.reentry.title = t.reentry;
  }

  return { create, draw, drawTime, drawCamera };
}
