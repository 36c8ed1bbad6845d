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
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'overview-title' },
    h('h1', { id: 'overview-title' }, 'Overview'),
    stats,
    h('div', { class: 'grid-2' }, messages.el, details),
  );
  return {
    el,
    async refresh() {
      const o = await get('/overview');
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
