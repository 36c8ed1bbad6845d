// The frame tracer: one connection's STOMP frames, in and out, live.
import { ApiError, del, get, post } from '../api.js';
import { toast } from '../dialog.js';
import { badge, bytes, h, num, time } from '../dom.js';
import { closeButton } from './connections.js';

/** Frames kept on screen (the broker's ring holds at most 500 too). */
const MAX_ROWS = 500;

export function tracerView({ param: id, refreshSoon }) {
  const path = `/connections/${encodeURIComponent(id)}`;
  let after = 0;
  let traceId = null;
  let active = false;
  /** Whether the broker may hold a trace of this connection: after a 404, ask again only once one is started here. */
  let mayHaveTrace = true;
  const info = h('div', { class: 'stats' });
  const state = h('span', { class: 'trace-state' });
  const start = h('button', { type: 'button', onclick: () => startTrace() }, 'Start trace');
  const stop = h('button', { type: 'button', class: 'warn', onclick: () => stopTrace() }, 'Stop');
  const clearButton = h(
    'button',
    { type: 'button', class: 'ghost', onclick: () => frames.replaceChildren() },
    'Clear',
  );
  const frames = h('ol', { class: 'frames', id: 'frames' });
  const head = h('div', { class: 'view-head' }, h('h1', {}, h('span', { class: 'mono' }, id)));
  const el = h(
    'section',
    { class: 'view' },
    h('a', { href: '#/connections', class: 'back' }, '← Connections'),
    head,
    info,
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'toolbar' }, h('h2', {}, 'Frame tracer'), state, start, stop, clearButton),
      h(
        'p',
        { class: 'muted' },
        'Frames this connection sends (→ in) and receives (← out). Passcodes, tokens and authorization values are redacted. A trace keeps the last 500 frames and stops by itself after 5 minutes.',
      ),
      frames,
    ),
  );

  async function startTrace() {
    try {
      const t = await post(`${path}/trace`);
      if (t.traceId !== traceId) after = 0;
      traceId = t.traceId;
      active = true;
      mayHaveTrace = true;
      toast('Tracing started.');
      refreshSoon();
    } catch (err) {
      toast(err.message, 'bad');
    }
  }

  async function stopTrace() {
    try {
      await del(`${path}/trace`);
      active = false;
      refreshSoon();
    } catch (err) {
      toast(err.message, 'bad');
    }
  }

  function showState(trace) {
    start.hidden = active;
    stop.hidden = !active;
    state.replaceChildren(
      active ? badge('● recording', 'ok') : badge(trace ? 'stopped' : 'not traced'),
      trace?.dropped ? badge(`${num(trace.dropped)} older frames dropped`, 'warn') : '',
    );
  }

  return {
    el,
    async refresh() {
      let connection = null;
      try {
        connection = await get(path);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 404) throw err;
      }
      head.replaceChildren(
        h('h1', {}, h('span', { class: 'mono' }, id)),
        connection ? closeButton(connection, refreshSoon) : badge('closed'),
      );
      if (connection) {
        info.replaceChildren(
          ...[
            ['Remote', `${connection.remoteAddress}:${connection.remotePort}`],
            [
              'Transport',
              `${connection.transport}${connection.secure ? ' + TLS' : ''} · STOMP ${connection.version || '—'}`,
            ],
            ['User', connection.user || 'anonymous'],
            ['Frames in / out', `${num(connection.framesIn)} / ${num(connection.framesOut)}`],
            ['Bytes in / out', `${bytes(connection.bytesIn)} / ${bytes(connection.bytesOut)}`],
            ['Subscriptions', num(connection.subscriptions?.length ?? connection.subscriptions)],
          ].map(([label, value]) =>
            h(
              'div',
              { class: 'stat' },
              h('span', { class: 'stat-label' }, label),
              h('strong', { class: 'stat-value small' }, value),
            ),
          ),
        );
      }
      let trace = null;
      if (mayHaveTrace) {
        try {
          trace = await get(`${path}/trace?after=${after}`);
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 404) throw err;
          mayHaveTrace = false;
        }
      }
      if (trace) {
        if (trace.traceId !== traceId) {
          traceId = trace.traceId;
          frames.replaceChildren();
        }
        active = trace.active;
        for (const f of trace.frames) {
          frames.append(frameRow(f));
          after = f.seq;
        }
        while (frames.childElementCount > MAX_ROWS) frames.firstElementChild.remove();
      } else active = false;
      showState(trace);
    },
  };
}

function frameRow(f) {
  const headers = Object.entries(f.headers);
  return h(
    'li',
    { class: `frame ${f.direction}`, dataset: { seq: f.seq, command: f.command } },
    h(
      'span',
      { class: 'dir', title: f.direction === 'in' ? 'from the client' : 'to the client' },
      f.direction === 'in' ? '→' : '←',
    ),
    h('span', { class: 'when' }, time(f.at)),
    h('strong', { class: 'command' }, f.command),
    h(
      'span',
      { class: 'frame-headers' },
      headers.map(([k, v]) => h('span', { class: 'hdr' }, h('b', {}, k), ':', v)),
    ),
    f.bodySize > 0
      ? h(
          'span',
          { class: 'frame-body' },
          f.bodyEncoding === 'base64' ? badge('base64') : null,
          f.bodyPreview,
          f.bodySize > f.bodyPreview.length
            ? h('span', { class: 'muted' }, ` … ${bytes(f.bodySize)}`)
            : null,
        )
      : null,
  );
}
