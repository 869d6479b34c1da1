/**
 * The live room view — static/console/room.js (page /console/rooms/<id>/).
 *
 * First paint and every catch-up come from `GET /api/console/rooms/<id>` (after each
 * websocket (re)subscription, when the page becomes visible again, every minute, and
 * shortly after an event the page cannot apply by itself); live events from
 * `/ws/console/` update the tiles in between. Rendering is batched: an event marks
 * its tile dirty and one `requestAnimationFrame` redraws only the dirty tiles (and
 * re-orders the grid only when an order-relevant field changed); a picture is
 * swapped at most once per second per camera. The grid is never rebuilt per event.
 *
 * Each tile: name and ticket, state, both cameras' latest pictures with their
 * connection (seen within the grace period, judged here every few seconds against
 * the server's clock), time left (frozen while paused), open flags by severity,
 * raised hand, re-entry request (drawn by static/console/tile.js); a menu of actions
 * (static/console/actions.js). Beside the grid, the alert feed (alert_feed.js, newest
 * on top), seeded on first paint with what already waits for the proctor.
 */

import { createApiClient, format, readJsonScript } from '../core/api.js';
import { createActions } from './actions.js';
import { createAlertFeed } from './alert_feed.js';
import { connectConsole } from './console_socket.js';
import {
  createTileDrawer, LIVE_STATES, remaining as remainingOn, SEVERITY_RANK, setText, STATE_GROUPS,
  severityRank,
} from './tile.js';
import { createServerClock } from './time_left.js';

const config = readJsonScript('console-config');
const t = readJsonScript('console-i18n');
const api = createApiClient({ base: config.api, csrf: true, messages: t });
const clock = createServerClock();
const root = document.getElementById('console-room');
const grid = document.getElementById('tiles');
const template = document.getElementById('tile-template');

const RESYNC_EVERY_MS = 60000;

const tiles = new Map(); // registration id -> {data, node, refs, seenFlags, cams}
const byAttempt = new Map(); // attempt id -> registration id
const selected = new Set(); // registration ids
const dirty = new Set();
let orderDirty = true;
let frame = 0;
let graceMs = 60000;
let loadedOnce = false;

const feed = createAlertFeed({
  list: document.getElementById('alert-feed'), empty: document.getElementById('feed-empty'),
  clock, t, detailUrlOf: (id) => tiles.get(id)?.data.detail_url || '', onOpen: focusTile,
});
const addAlert = feed.add;
const drawer = createTileDrawer({
  template, t, config, clock, selected,
  graceMs: () => graceMs,
  onCameraLost: (tile, camera) => {
    if (loadedOnce) {
      addAlert('warning', format(t.alertCameraLost, { name: tile.data.candidate, camera }),
        tile.data.registration_id);
    }
  },
  drawLater: (tile, ms) => setTimeout(() => markDirty(tile.data.registration_id), ms),
});

const actions = createActions({
  api, config, t,
  onChanged: (attemptId, result) => {
    const id = byAttempt.get(attemptId);
    if (id && result && result.state) {
      const data = tiles.get(id).data;
      applyState(data, result.state, result.deadline);
      markDirty(id, true);
    }
    scheduleResync(800);
  },
});

// --- data ---------------------------------------------------------------------------

function needsAttention(data) {
  return (data.unread_messages > 0 ? 2 : 0) + (data.reentry_requested ? 2 : 0)
    + (STATE_GROUPS[data.state] === 'awaiting' ? 1 : 0);
}

function remaining(data) {
  return remainingOn(data, clock);
}

function applyState(data, state, deadline) {
  if (state === 'paused' && data.state !== 'paused') {
    data.paused_at = new Date(clock.now()).toISOString();
  } else if (state !== 'paused') {
    data.paused_at = null;
  }
  data.state = state;
  data.state_label = config.stateLabels[state] || state;
  if (deadline !== undefined) {
    data.deadline = deadline;
  }
  if (!LIVE_STATES.has(state)) {
    data.reentry_requested = false;
  }
}

function tileView(id) {
  const { data } = tiles.get(id);
  return { attempt_id: data.attempt_id, candidate: data.candidate,
    ticket_number: data.ticket_number, state: data.state,
    reentry_requested: data.reentry_requested };
}

// --- filters, order, counts ---------------------------------------------------------

function filters() {
  return {
    search: document.getElementById('filter-search').value.trim().toLowerCase(),
    state: document.getElementById('filter-state').value,
    flags: document.getElementById('filter-flags').checked,
    hand: document.getElementById('filter-hand').checked,
    sort: document.getElementById('sort').value,
  };
}

function matches(data, filter) {
  if (filter.search && !data.candidate.toLowerCase().includes(filter.search)
      && !data.ticket_number.toLowerCase().includes(filter.search)) {
    return false;
  }
  if (filter.state && STATE_GROUPS[data.state] !== filter.state) {
    return false;
  }
  if (filter.flags && !severityRank(data)) {
    return false;
  }
  return !(filter.hand && !(data.unread_messages > 0));
}

function compare(sort) {
  const byTicket = (a, b) => a.ticket_number.localeCompare(b.ticket_number);
  if (sort === 'ticket') {
    return byTicket;
  }
  if (sort === 'time') {
    return (a, b) => {
      const ra = remaining(a);
      const rb = remaining(b);
      if (ra === null || rb === null) {
        return (ra === null) - (rb === null) || byTicket(a, b);
      }
      return ra - rb || byTicket(a, b);
    };
  }
  return (a, b) => severityRank(b) - severityRank(a)
    || (b.flags.high + b.flags.medium + b.flags.low) - (a.flags.high + a.flags.medium + a.flags.low)
    || needsAttention(b) - needsAttention(a) || byTicket(a, b);
}

function reorder() {
  const filter = filters();
  const ordered = [...tiles.values()].sort((a, b) => compare(filter.sort)(a.data, b.data));
  let visible = 0;
  ordered.forEach((tile, index) => {
    const show = matches(tile.data, filter);
    tile.node.hidden = !show;
    visible += show ? 1 : 0;
    if (grid.children[index] !== tile.node) {
      grid.insertBefore(tile.node, grid.children[index] || null);
    }
  });
  document.getElementById('tiles-empty').hidden = visible > 0 || tiles.size === 0;
}

function renderCounts() {
  let inExam = 0;
  let waiting = 0;
  let flagged = 0;
  for (const { data } of tiles.values()) {
    inExam += LIVE_STATES.has(data.state) ? 1 : 0;
    waiting += STATE_GROUPS[data.state] === 'awaiting' ? 1 : 0;
    flagged += severityRank(data) ? 1 : 0;
  }
  setText(document.getElementById('room-counts'),
    format(t.counts, { total: tiles.size, inExam, waiting, flagged }));
  document.getElementById('admit-all').disabled = ![...tiles.values()]
    .some(({ data }) => data.state === 'awaiting_admission');
}

function markDirty(id, order = false) {
  dirty.add(id);
  orderDirty = orderDirty || order;
  if (!frame) {
    frame = requestAnimationFrame(flush);
  }
}

function flush() {
  frame = 0;
  for (const id of dirty) {
    const tile = tiles.get(id);
    if (tile) {
      drawer.draw(tile);
    }
  }
  dirty.clear();
  if (orderDirty) {
    orderDirty = false;
    reorder();
    renderCounts();
  }
}

// --- loading ------------------------------------------------------------------------

let loading = null;
let resyncTimer = null;

async function load() {
  if (loading) {
    return loading;
  }
  loading = (async () => {
    const started = Date.now();
    try {
      const overview = await api.get(`console/rooms/${config.roomId}`);
      clock.sync(overview.server_now, started);
      graceMs = overview.grace_seconds * 1000;
      const present = new Set();
      for (const data of overview.tiles) {
        present.add(data.registration_id);
        let tile = tiles.get(data.registration_id);
        if (tile) {
          tile.data = data;
        } else {
          tile = drawer.create(data);
          tiles.set(data.registration_id, tile);
          grid.append(tile.node);
        }
        if (data.attempt_id) {
          byAttempt.set(data.attempt_id, data.registration_id);
        }
        dirty.add(data.registration_id);
      }
      for (const [id, tile] of tiles) {
        if (!present.has(id)) {
          tile.node.remove();
          tiles.delete(id);
          selected.delete(id);
        }
      }
      orderDirty = true;
      flush();
      if (!loadedOnce) {
        seedAlerts();
      }
      loadedOnce = true;
      grid.setAttribute('aria-busy', 'false');
      root.dataset.loaded = 'true';
      document.getElementById('load-error').hidden = true;
      renderBulkBar();
    } catch (failure) {
      const box = document.getElementById('load-error');
      box.textContent = failure.message || t.network;
      box.hidden = false;
    } finally {
      loading = null;
    }
  })();
  return loading;
}

function scheduleResync(delayMs = 1500) {
  if (!resyncTimer) {
    resyncTimer = setTimeout(() => {
      resyncTimer = null;
      load();
    }, delayMs);
  }
}

// --- the alert feed -------------------------------------------------------------------

/** On first paint, what already waits for the proctor (oldest first, so newest on top). */
function seedAlerts() {
  const rows = [...tiles.values()].map(({ data }) => data)
    .sort((a, b) => a.ticket_number.localeCompare(b.ticket_number));
  for (const data of rows) {
    const id = data.registration_id;
    if (data.state === 'awaiting_admission') {
      addAlert('info', format(t.alertAdmission, { name: data.candidate }), id);
    } else if (data.state === 'identity_review') {
      addAlert('info', format(t.alertIdentity, { name: data.candidate }), id);
    }
    if (data.reentry_requested) {
      addAlert('warning', format(t.alertReentry, { name: data.candidate }), id);
    }
    if (data.unread_messages > 0) {
      addAlert('primary', format(t.alertHandWaiting,
        { name: data.candidate, count: data.unread_messages }), id);
    }
    if (data.top_flag && severityRank(data) >= SEVERITY_RANK.medium) {
      addAlert(severityRank(data) === SEVERITY_RANK.high ? 'danger' : 'warning',
        format(t.alertFlag, { name: data.candidate, flag: data.top_flag }), id);
    }
  }
}

function focusTile(id) {
  const tile = tiles.get(id);
  if (!tile) {
    return;
  }
  if (tile.node.hidden) {
    document.getElementById('filters').reset();
    orderDirty = true;
    flush();
  }
  tile.node.scrollIntoView({ behavior: 'smooth', block: 'center' });
  tile.node.classList.remove('eh-tile-highlight');
  void tile.node.offsetWidth; // restart the highlight animation
  tile.node.classList.add('eh-tile-highlight');
}

// --- live events -----------------------------------------------------------------------

function onEvent(event) {
  if (event.kind === 'console.broadcast') {
    addAlert('info', format(t.alertBroadcast, { count: event.recipients }), '');
    return;
  }
  const id = event.attempt ? byAttempt.get(event.attempt) : null;
  if (!id) {
    if (event.attempt) {
      scheduleResync(); // an attempt this page does not know yet (just signed in)
    }
    return;
  }
  const tile = tiles.get(id);
  const { data } = tile;
  let order = false;
  switch (event.kind) {
    case 'attempt.state': {
      const before = data.state;
      applyState(data, event.state, event.deadline);
      order = true;
      if (before !== event.state && event.state === 'awaiting_admission') {
        addAlert('info', format(t.alertAdmission, { name: data.candidate }), id);
      } else if (before !== event.state && event.state === 'identity_review') {
        addAlert('info', format(t.alertIdentity, { name: data.candidate }), id);
      }
      if (before !== event.state && (event.state === 'paused' || before === 'paused')) {
        scheduleResync(); // the exact pause time and the new deadline
      }
      break;
    }
    case 'snapshot.new': {
      const camera = data[event.camera];
      if (camera) {
        camera.snapshot_url = `/console/snapshots/${event.snapshot}/`;
        camera.snapshot_at = event.at;
        camera.last_seen_at = event.at;
      }
      break;
    }
    case 'proctoring.flag':
      if (event.status && event.status !== 'open') {
        scheduleResync(300); // confirmed or dismissed: recount from the server
      } else if (event.new && !tile.seenFlags.has(event.flag)) {
        tile.seenFlags.add(event.flag);
        data.flags[event.severity] = (data.flags[event.severity] || 0) + 1;
        const label = config.flagLabels[event.flag_type] || event.flag_type;
        if ((SEVERITY_RANK[event.severity] || 0) >= severityRank(data)) {
          data.top_flag = label;
        }
        const lost = event.flag_type === 'camera_lost' && event.camera;
        if (!lost || !tile.lostAlerted.has(event.camera)) {
          if (lost) {
            tile.lostAlerted.add(event.camera); // the page will not alert it a second time
          }
          addAlert(event.severity === 'high' ? 'danger' : event.severity === 'medium' ? 'warning' : 'info',
            format(t.alertFlag, { name: data.candidate, flag: label }), id);
        }
        order = true;
      }
      break;
    case 'console.message':
      if (event.sender === 'candidate') {
        data.unread_messages += 1;
        addAlert('primary', format(t.alertHand, { name: data.candidate, body: event.body }), id);
      } else {
        data.unacknowledged += 1;
        data.unread_messages = 0;
      }
      order = true;
      actions.chatEvent(event);
      break;
    case 'console.acknowledged':
      data.unacknowledged = Math.max(0, data.unacknowledged - 1);
      addAlert('success', format(t.alertAck, { name: data.candidate }), id);
      actions.chatEvent(event);
      break;
    case 'console.action':
      if (event.action === 'allow_reentry') {
        data.reentry_requested = false;
        order = true;
      }
      break;
    case 'attempt.reentry_requested':
      data.reentry_requested = true;
      addAlert('warning', format(t.alertReentry, { name: data.candidate }), id);
      order = true;
      break;
    case 'lockdown.environment': {
      // The exam client's re-check found something new, or what it found is gone
      // (during the exam the findings also come as flags).
      const appeared = (event.appeared || []).map((problem) => problem.title).filter(Boolean);
      if (appeared.length) {
        addAlert('warning', format(t.alertEnvironment,
          { name: data.candidate, problems: appeared.join(' · ') }), id);
      } else if (event.passed) {
        addAlert('success', format(t.alertEnvironmentClear, { name: data.candidate }), id);
      }
      return;
    }
    default:
      return;
  }
  markDirty(id, order);
}

function setConnection(status) {
  const badge = document.getElementById('connection');
  badge.dataset.status = status;
  const text = { live: t.live, connecting: t.connecting, retrying: t.reconnecting,
    stopped: t.stopped }[status] || status;
  setText(document.getElementById('connection-text'), text);
}

// --- selection and bulk ------------------------------------------------------------------

function renderBulkBar() {
  const bar = document.getElementById('bulk-bar');
  bar.hidden = selected.size === 0;
  setText(document.getElementById('bulk-count'), format(t.selected, { count: selected.size }));
}

async function applyBulk() {
  const select = document.getElementById('bulk-action');
  const label = select.selectedOptions[0].textContent.trim();
  const ids = [...selected].filter((id) => tiles.get(id)?.data.attempt_id);
  const outcomes = await actions.bulk(select.value, ids.map(tileView), label);
  if (!outcomes) {
    return;
  }
  let ok = 0;
  for (const outcome of outcomes) {
    ok += outcome.ok ? 1 : 0;
    const id = byAttempt.get(outcome.attempt_id);
    const tile = id && tiles.get(id);
    if (tile) {
      const mark = tile.refs.outcome;
      mark.hidden = false;
      mark.dataset.ok = String(outcome.ok);
      mark.className = `eh-outcome badge ${outcome.ok ? 'text-bg-success' : 'text-bg-danger'}`;
      mark.textContent = outcome.ok ? '✓' : '✕';
      mark.title = outcome.ok ? t.done : outcome.message;
      if (!outcome.ok) {
        mark.textContent = `✕ ${outcome.message}`;
      }
      setTimeout(() => { mark.hidden = true; }, 20000);
    }
  }
  setText(document.getElementById('bulk-result'),
    format(t.bulkDone, { ok, failed: outcomes.length - ok }));
  scheduleResync(500);
}

// --- wiring ----------------------------------------------------------------------------

function tileIdOf(node) {
  return node.closest('.eh-tile')?.dataset.registrationId;
}

grid.addEventListener('click', (event) => {
  const live = event.target.closest('[data-live]');
  const action = event.target.closest('[data-action]');
  const id = tileIdOf(event.target);
  if (!id) {
    return;
  }
  const { data } = tiles.get(id);
  if (live && data.attempt_id) {
    actions.openLive(data.attempt_id, live.dataset.live);
  } else if (action) {
    actions.run(action.dataset.action, tileView(id));
  }
});

grid.addEventListener('change', (event) => {
  if (!event.target.classList.contains('eh-tile-select')) {
    return;
  }
  const id = tileIdOf(event.target);
  if (event.target.checked) {
    selected.add(id);
  } else {
    selected.delete(id);
  }
  markDirty(id);
  renderBulkBar();
});

grid.addEventListener('show.bs.dropdown', (event) => {
  const id = tileIdOf(event.target);
  if (id) {
    actions.fillMenu(event.target.closest('.dropdown').querySelector('.eh-tile-actions'), tileView(id));
  }
});

document.getElementById('feed-clear').addEventListener('click', () => feed.clear());

const filterForm = document.getElementById('filters');
filterForm.addEventListener('input', () => { orderDirty = true; flush(); });
filterForm.addEventListener('change', () => { orderDirty = true; flush(); });
filterForm.addEventListener('reset', () => setTimeout(() => { orderDirty = true; flush(); }));
filterForm.addEventListener('submit', (event) => event.preventDefault());

document.getElementById('admit-all').addEventListener('click', () => actions.admitAll());
document.getElementById('broadcast').addEventListener('click', () => actions.broadcast());
document.getElementById('irregularity').addEventListener('click', () => actions.irregularity(null));
document.getElementById('bulk-apply').addEventListener('click', applyBulk);
document.getElementById('bulk-clear').addEventListener('click', () => {
  const ids = [...selected];
  selected.clear();
  ids.forEach((id) => markDirty(id));
  renderBulkBar();
});

// The clock: time left every second; the cameras' connection every 5 s; re-sort by time.
let ticks = 0;
setInterval(() => {
  ticks += 1;
  for (const tile of tiles.values()) {
    if (tile.data.state === 'in_progress') {
      drawer.drawTime(tile);
    }
    if (ticks % 5 === 0) {
      drawer.drawCamera(tile, 'pc');
      drawer.drawCamera(tile, 'phone');
    }
  }
  if (ticks % 10 === 0 && filters().sort === 'time') {
    orderDirty = true;
    flush();
  }
}, 1000);
setInterval(() => load(), RESYNC_EVERY_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    load();
  }
});

load();
const socket = connectConsole({
  path: config.socketPath,
  rooms: [config.roomId],
  onEvent,
  onStatus: setConnection,
  onSubscribed: () => load(),
});
// For the browser test of a network blip (and for diagnostics in the console).
window.examhallConsole = { socket, reload: load };
