// Overview: the broker at a glance, with live message rates.
import { get } from '../api.js';
import { RateChart } from '../chart.js';
import { bytes, duration, h, num, stat } from '../dom.js';

export function overviewView() {
  const stats = h('div', { class: 'stats' });
  const messages = new RateChart({
    title: 'Messages per second',
    series: [
      { label: 'published', color: '#5b5bd6' },
      { label: 'delivered', color: '#1f9d55' },
    ],
  });
  const details = h('div', { class: 'card details' });
  const deepest = h('div', { class: 'card' });
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'overview-title' },
    h('h1', { id: 'overview-title' }, 'Overview'),
    stats,
    h('div', { class: 'grid-2' }, messages.el, details),
    deepest,
  );
  return {
    el,
    async refresh() {
      const [o, queues] = await Promise.all([get('/overview'), get('/queues')]);
      deepest.replaceChildren(h('h2', {}, 'Deepest queues'), depthBars(queues));
      const m = o.messages ?? {};
      stats.replaceChildren(
        stat('Connections', num(o.connections?.total), transports(o.connections?.byTransport)),
        stat('Queues', num(o.destinations?.queues)),
        stat('Topics', num(o.destinations?.topics)),
        stat('Published', num(m.published), `${num(o.rates?.publishedPerSec)}/s`),
        stat('Delivered', num(m.delivered), `${num(o.rates?.deliveredPerSec)}/s`),
        stat('Dead-lettered', num(m.deadLettered), `${num(m.expired)} expired`),
      );
      messages.update([o.rates?.publishedSeries, o.rates?.deliveredSeries]);
      details.replaceChildren(
        h('h2', {}, 'Broker'),
        h(
          'dl',
          {},
          row('Version', `stompede ${o.version}`),
          row('Node', o.node),
          row('Up for', duration(o.uptimeMs)),
          row('Acked / nacked', `${num(m.acked)} / ${num(m.nacked)}`),
          row('Redelivered', num(m.redelivered)),
          row('Store', `${o.store?.kind ?? '—'} · ${bytes(o.store?.diskBytes)}`),
          row('Commits', `${num(o.store?.commits)} (last ${num(o.store?.lastCommitMs)} ms)`),
          row('Memory', `${bytes(o.memory?.rss)} RSS · ${bytes(o.memory?.heapUsed)} heap`),
          row('Cluster', o.cluster?.enabled ? `${o.cluster.nodes.length} nodes` : 'single node'),
        ),
      );
    },
  };
}

/** The queues holding the most messages, as bars against the deepest. */
function depthBars(queues) {
  const top = [...queues].sort((a, b) => b.depth - a.depth).slice(0, 6);
  if (top.length === 0) return h('p', { class: 'muted' }, 'No queues yet.');
  const max = Math.max(1, top[0].depth);
  return h(
    'ul',
    { class: 'bars' },
    top.map((q) =>
      h(
        'li',
        {},
        h('a', { href: `#/queues/${encodeURIComponent(q.name)}` }, q.destination),
        h('span', { class: 'bar' }, h('i', { style: `width: ${(100 * q.depth) / max}%` })),
        h('span', { class: 'num' }, num(q.depth)),
        h(
          'span',
          { class: 'muted' },
          `${num(q.consumers)} consumer${q.consumers === 1 ? '' : 's'}`,
        ),
      ),
    ),
  );
}

function row(label, value) {
  return [h('dt', {}, label), h('dd', {}, value ?? '—')];
}

function transports(by) {
  if (!by) return '';
  return Object.entries(by)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(' · ');
}
