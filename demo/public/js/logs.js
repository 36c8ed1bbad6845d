// Live log viewer: subscribes to /topic/logs.> (or one source) with a
// broker-side level selector, replays recent lines, and renders thousands of
// lines a second without freezing: arrivals are queued and drawn once per
// animation frame, and the DOM keeps only the newest ROW_CAP rows.
import { LEVEL_GROUPS, levelAllowed, levelSelector, parseLogMessage } from './log-format.js';
import { sampleLine } from './log-samples.js';
import { byId, formatCount, formatLogTime, h, storage } from './util.js';

/** Rows kept in the DOM. */
export const ROW_CAP = 2000;
/** Entries kept in memory (for re-filtering by text). */
const KEEP = 5000;
/** Lines replayed from the broker's history when the view (re)subscribes. */
const REPLAY = 500;
const ALL = 'logs.>';
/** Above this many lines a second, frames are spaced BUSY_FRAME_MS apart. */
const BUSY_RATE = 300;
const BUSY_FRAME_MS = 66;
/** Rows per chunk element (see appendRows). */
const CHUNK = 25;

export function createLogViewer({ connection, history }) {
  const el = {
    source: byId('log-source'),
    levels: byId('log-levels'),
    search: byId('log-search'),
    pause: byId('log-pause'),
    pauseLabel: byId('log-pause-label'),
    follow: byId('log-follow'),
    clear: byId('log-clear'),
    sample: byId('log-sample'),
    view: byId('log-view'),
    rows: byId('log-rows'),
    empty: byId('log-empty'),
    emptyTopic: byId('log-empty-topic'),
    rate: byId('log-rate'),
    shown: byId('log-shown'),
    selector: byId('log-selector'),
    destination: byId('log-destination'),
    jump: byId('log-jump'),
    paused: byId('log-paused'),
  };

  const savedLevels = storage.get('logs.levels', null);
  const state = {
    source: storage.get('logs.source', ALL),
    levels: Array.isArray(savedLevels) ? savedLevels : LEVEL_GROUPS.map((g) => g.id),
    text: '',
    paused: false,
    follow: true,
    /** Displayed model, oldest first. */
    entries: [],
    /** Arrived, not yet drawn. */
    pending: [],
    /** Arrived while paused (newest KEEP). */
    held: [],
    heldCount: 0,
    rateCount: 0,
    rate: 0,
    total: 0,
    seen: new Set(),
    sources: new Set(storage.get('logs.sources', []).filter((s) => typeof s === 'string')),
    generation: 0,
    subscription: null,
    client: null,
    started: false,
    fullRender: false,
    frame: 0,
    lastAutoScrollTop: -1,
    lastRender: 0,
    /** Render passes that drew rows: the viewer batches lines per frame, never one pass per line. */
    renders: 0,
    rowCount: 0,
    /** Lines the broker sent that the level filter dropped here (history replay ignores selectors). */
    dropped: 0,
  };

  // ── controls ───────────────────────────────────────────────────────────

  for (const group of LEVEL_GROUPS) {
    const input = h('input', {
      type: 'checkbox',
      value: group.id,
      checked: state.levels.includes(group.id),
      'aria-describedby': 'log-selector',
    });
    input.addEventListener('change', () => {
      state.levels = [...el.levels.querySelectorAll('input:checked')].map((i) => i.value);
      storage.set('logs.levels', state.levels);
      resubscribe();
    });
    el.levels.append(
      h(
        'label',
        { class: `chip chip-${group.id.toLowerCase()}` },
        input,
        h('span', {}, group.label),
      ),
    );
  }

  function renderSourceOptions() {
    const current = state.source;
    const names = [...state.sources].sort();
    if (current !== ALL && !state.sources.has(current)) names.unshift(current);
    el.source.replaceChildren(
      h('option', { value: ALL }, 'All sources (logs.>)'),
      ...names.map((name) => h('option', { value: name }, name)),
    );
    el.source.value = current;
  }
  renderSourceOptions();
  el.source.addEventListener('change', () => {
    state.source = el.source.value;
    storage.set('logs.source', state.source);
    resubscribe();
  });

  let searchTimer = 0;
  el.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.text = el.search.value.trim().toLowerCase();
      state.fullRender = true;
      scheduleRender();
    }, 120);
  });

  el.pause.addEventListener('click', () => setPaused(!state.paused));
  el.follow.addEventListener('click', () => setFollow(!state.follow));
  el.jump.addEventListener('click', () => setFollow(true));
  el.clear.addEventListener('click', () => {
    state.entries = [];
    state.pending = [];
    state.held = [];
    state.heldCount = 0;
    state.fullRender = true;
    scheduleRender();
    updateStats();
  });

  // The reader scrolling away from the bottom stops following; scrolling back
  // resumes it. Only the reader's own scrolling counts: chunks laid out late
  // (content-visibility) and trimmed rows move scrollTop too, and under a
  // heavy stream that used to switch follow off by itself.
  let readerScrollUntil = 0;
  const readerScrolls = () => {
    readerScrollUntil = performance.now() + 500;
  };
  for (const type of ['wheel', 'touchmove', 'pointerdown', 'keydown']) {
    el.view.addEventListener(type, readerScrolls, { passive: true });
  }
  // Rows whose chunk is laid out late grow the view after render() scrolled
  // it, with no scroll event: keep the newest line in sight while following.
  new ResizeObserver(() => {
    if (state.follow) scrollToBottom();
  }).observe(el.rows);
  el.view.addEventListener(
    'scroll',
    () => {
      if (Math.abs(el.view.scrollTop - state.lastAutoScrollTop) < 2) return;
      const atBottom = el.view.scrollHeight - el.view.scrollTop - el.view.clientHeight < 24;
      if (performance.now() > readerScrollUntil) {
        if (state.follow && !atBottom) scrollToBottom();
        return;
      }
      if (atBottom !== state.follow) setFollow(atBottom, false);
    },
    { passive: true },
  );

  function setPaused(paused) {
    state.paused = paused;
    el.pause.setAttribute('aria-pressed', String(paused));
    if (!paused && state.held.length > 0) {
      for (const entry of state.held) keep(entry);
      state.held = [];
    }
    state.heldCount = 0;
    updatePauseLabel();
    scheduleRender();
  }

  function updatePauseLabel() {
    if (state.paused) {
      el.pauseLabel.textContent =
        state.heldCount > 0 ? `Resume (${formatCount(state.heldCount)} new)` : 'Resume';
      el.paused.textContent = `Paused · ${formatCount(state.heldCount)} ${state.heldCount === 1 ? 'line' : 'lines'} arrived since`;
      el.paused.hidden = false;
    } else {
      el.pauseLabel.textContent = 'Pause';
      el.paused.hidden = true;
    }
  }

  function setFollow(follow, scroll = true) {
    state.follow = follow;
    el.follow.setAttribute('aria-pressed', String(follow));
    el.jump.hidden = follow;
    if (follow && scroll) scrollToBottom();
  }

  function scrollToBottom() {
    el.view.scrollTop = el.view.scrollHeight;
    state.lastAutoScrollTop = el.view.scrollTop;
  }

  // ── sample traffic (publishes from this page) ──────────────────────────

  let sampleTimer = 0;
  el.sample.addEventListener('click', () => {
    const on = el.sample.getAttribute('aria-pressed') !== 'true';
    el.sample.setAttribute('aria-pressed', String(on));
    clearInterval(sampleTimer);
    if (on) sampleTimer = setInterval(publishSample, 120);
  });

  let sampleSeq = 0;
  function publishSample() {
    const client = connection.client;
    if (client === null || connection.status.state !== 'connected') return;
    for (let i = 0; i < 3; i++) {
      const { destination, body, headers } = sampleLine(sampleSeq++);
      client.publish(destination, body, { headers }).catch(() => {});
    }
  }

  // ── subscription ───────────────────────────────────────────────────────

  function destination() {
    return `/topic/${state.source}`;
  }

  function resubscribe() {
    unsubscribe();
    const generation = ++state.generation;
    state.entries = [];
    state.pending = [];
    state.held = [];
    state.heldCount = 0;
    state.seen.clear();
    state.fullRender = true;
    const selector = levelSelector(state.levels);
    el.selector.textContent = selector === '' ? 'none (every level)' : selector;
    el.destination.textContent = destination();
    el.emptyTopic.textContent = destination();
    updatePauseLabel();
    scheduleRender();
    const client = state.client;
    if (client === null) return;
    const options = {};
    if (selector !== '') options.selector = selector;
    if (history.enabled) options.history = { last: REPLAY };
    try {
      const handle = client.subscribe(
        destination(),
        (message) => {
          if (generation === state.generation) receive(message);
        },
        options,
      );
      Promise.resolve(handle).then((sub) => {
        if (generation === state.generation) state.subscription = sub;
        else sub?.unsubscribe?.();
      });
    } catch (err) {
      console.error('log subscription failed', err);
    }
  }

  function unsubscribe() {
    try {
      state.subscription?.unsubscribe?.();
    } catch {
      // Already gone with its connection.
    }
    state.subscription = null;
  }

  function receive(message) {
    state.total += 1;
    state.rateCount += 1;
    const entry = parseLogMessage(message);
    if (entry.id !== null) {
      if (state.seen.has(entry.id)) return;
      state.seen.add(entry.id);
      if (state.seen.size > KEEP * 2) {
        state.seen = new Set(state.entries.map((e) => e.id).filter((id) => id !== null));
      }
    }
    if (entry.topic.startsWith('logs.') && !state.sources.has(entry.topic)) {
      state.sources.add(entry.topic);
      storage.set('logs.sources', [...state.sources].slice(-50));
      renderSourceOptions();
    }
    if (!levelAllowed(entry.level, state.levels)) {
      state.dropped += 1;
      return;
    }
    if (state.paused) {
      state.heldCount += 1;
      state.held.push(entry);
      if (state.held.length > KEEP + 1000) state.held = state.held.slice(-KEEP);
      return;
    }
    keep(entry);
    scheduleRender();
  }

  function keep(entry) {
    state.entries.push(entry);
    if (state.entries.length > KEEP + 1000) state.entries = state.entries.slice(-KEEP);
    state.pending.push(entry);
    // A hidden tab draws nothing: keep only what could still be shown.
    if (state.pending.length > ROW_CAP * 2) state.pending = state.pending.slice(-ROW_CAP);
  }

  // ── rendering ──────────────────────────────────────────────────────────

  function matches(entry) {
    if (state.text === '') return true;
    entry.search ??= `${entry.level} ${entry.source} ${entry.text} ${entry.fields}`.toLowerCase();
    return entry.search.includes(state.text);
  }

  const template = h(
    'div',
    { class: 'log-row' },
    h('time', { class: 'log-time' }),
    h('span', { class: 'log-level' }),
    h('span', { class: 'log-source' }),
    h('span', { class: 'log-text' }),
  );

  let stripe = false;
  function rowFor(entry) {
    const row = template.cloneNode(true);
    const level = entry.level === '' ? 'none' : entry.level.toLowerCase();
    stripe = !stripe;
    row.className = `log-row lvl-${level}${stripe ? ' odd' : ''}${entry.history ? ' is-history' : ''}`;
    const time = row.firstChild;
    const levelEl = time.nextSibling;
    const sourceEl = levelEl.nextSibling;
    const textEl = sourceEl.nextSibling;
    time.textContent = formatLogTime(entry.time);
    levelEl.textContent = entry.level || '·';
    sourceEl.textContent = entry.source;
    sourceEl.title = entry.topic;
    textEl.textContent = entry.text;
    if (entry.fields !== '') textEl.append(h('span', { class: 'log-fields' }, entry.fields));
    return row;
  }

  /**
   * Rows live in chunks of CHUNK: the browser skips laying out and painting
   * chunks off screen (content-visibility), and trimming the oldest rows
   * touches only the first chunk, so a frame costs about the same with 20 rows
   * or with 2000.
   */
  function appendRows(batch) {
    let chunk = el.rows.lastElementChild;
    let i = 0;
    while (i < batch.length) {
      if (chunk === null || chunk.childElementCount >= CHUNK) {
        chunk = h('div', { class: 'log-chunk' });
        el.rows.append(chunk);
      }
      const take = Math.min(CHUNK - chunk.childElementCount, batch.length - i);
      const fragment = document.createDocumentFragment();
      for (let j = i; j < i + take; j++) fragment.append(rowFor(batch[j]));
      chunk.append(fragment);
      i += take;
    }
    state.rowCount += batch.length;
    let excess = state.rowCount - ROW_CAP;
    while (excess > 0) {
      const first = el.rows.firstElementChild;
      const count = first.childElementCount;
      if (count <= excess) {
        first.remove();
        excess -= count;
        state.rowCount -= count;
      } else {
        const range = document.createRange();
        range.setStartBefore(first.firstElementChild);
        range.setEndAfter(first.children[excess - 1]);
        range.deleteContents();
        state.rowCount -= excess;
        excess = 0;
      }
    }
  }

  function scheduleRender() {
    if (state.frame === 0) state.frame = requestAnimationFrame(render);
  }

  function render(now) {
    state.frame = 0;
    // Under load, draw at most ~15 times a second: each frame re-lays out and
    // repaints the view, and bigger batches cost little more than small ones.
    const busy = state.rate >= BUSY_RATE || state.pending.length >= 100;
    if (busy && now - state.lastRender < BUSY_FRAME_MS && !state.fullRender) {
      state.frame = requestAnimationFrame(render);
      return;
    }
    state.lastRender = now;
    let batch;
    let replace = state.fullRender;
    if (replace) {
      state.fullRender = false;
      state.pending = [];
      batch = state.entries.filter(matches).slice(-ROW_CAP);
    } else {
      batch = state.pending.filter(matches);
      state.pending = [];
      if (batch.length >= ROW_CAP) {
        batch = batch.slice(-ROW_CAP);
        replace = true;
      }
    }
    if (replace) {
      el.rows.replaceChildren();
      state.rowCount = 0;
    }
    if (batch.length > 0) {
      appendRows(batch);
      state.renders++;
    }
    if ((replace || batch.length > 0) && state.follow) scrollToBottom();
    el.empty.hidden = state.rowCount > 0;
  }

  // ── stats ──────────────────────────────────────────────────────────────

  function updateStats() {
    el.shown.textContent = `${formatCount(state.rowCount)} shown · ${formatCount(state.total)} received`;
    if (state.paused) updatePauseLabel();
  }

  setInterval(() => {
    state.rate = state.rateCount;
    state.rateCount = 0;
    el.rate.textContent = `${formatCount(state.rate)} lines/s`;
    el.rate.dataset.busy = String(state.rate >= 500);
    updateStats();
  }, 1000);
  setInterval(updateStats, 250);

  // ── lifecycle ──────────────────────────────────────────────────────────

  setFollow(true);
  return {
    /** Subscribe (the first time the view is shown). */
    start() {
      if (state.started) return;
      state.started = true;
      connection.onClient((client) => {
        state.client = client;
        resubscribe();
      });
    },
    /** The broker keeps no history here: subscribe again without asking for it. */
    historyUnavailable() {
      if (state.started) resubscribe();
    },
    /** For tests and the console. */
    stats() {
      return {
        rows: state.rowCount,
        domRows: el.rows.getElementsByClassName('log-row').length,
        entries: state.entries.length,
        pending: state.pending.length,
        total: state.total,
        dropped: state.dropped,
        rate: state.rate,
        renders: state.renders,
        paused: state.paused,
        held: state.heldCount,
        follow: state.follow,
        selector: levelSelector(state.levels),
        destination: destination(),
      };
    },
  };
}
