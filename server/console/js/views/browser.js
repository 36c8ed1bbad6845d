// One queue: its counters, consumers, and the first messages, browsed
// without consuming them.
import { get, segment } from '../api.js';
import { bytes, clear, h, num, stat, time } from '../dom.js';
import { queueActions } from './queues.js';

const LIMIT = 100;

export function browserView({ param: name, refreshSoon }) {
  const open = new Set();
  const header = h('div', { class: 'view-head' });
  const stats = h('div', { class: 'stats' });
  const consumers = h('div');
  const list = h('div', { class: 'messages', id: 'messages' });
  const el = h(
    'section',
    { class: 'view' },
    h('a', { href: '#/queues', class: 'back' }, '← Queues'),
    header,
    stats,
    consumers,
    h('div', { class: 'card' }, h('h2', {}, `First ${LIMIT} messages`), list),
  );
  return {
    el,
    async refresh() {
      const [q, messages] = await Promise.all([
        get(`/queues/${segment(name)}`),
        get(`/queues/${segment(name)}/messages?limit=${LIMIT}`),
      ]);
      header.replaceChildren(
        h('h1', {}, q.destination),
        queueActions(q, refreshSoon, { browse: false }),
      );
      stats.replaceChildren(
        stat('Depth', num(q.depth)),
        stat('In flight', num(q.inFlight)),
        stat('Consumers', num(q.consumerCount ?? q.consumers?.length)),
        stat('Enqueued', num(q.enqueued)),
        stat('Dequeued', num(q.dequeued)),
        stat('Dead-letter queue', q.dlq ? num(q.dlq.depth) : '—', q.dlq?.name),
      );
      const subs = Array.isArray(q.consumers) ? q.consumers : [];
      consumers.replaceChildren(
        subs.length === 0
          ? ''
          : h(
              'div',
              { class: 'card' },
              h('h2', {}, 'Consumers'),
              h(
                'ul',
                { class: 'plain' },
                subs.map((s) =>
                  h(
                    'li',
                    {},
                    h(
                      'a',
                      { href: `#/connections/${encodeURIComponent(s.connectionId)}` },
                      s.connectionId,
                    ),
                    ` · ${s.id} · ack ${s.ackMode} · ${num(s.pending)} pending`,
                    s.selector ? h('code', {}, ` ${s.selector}`) : null,
                  ),
                ),
              ),
            ),
      );
      clear(list);
      if (messages.length === 0) list.append(h('p', { class: 'muted' }, 'The queue is empty.'));
      for (const m of messages) {
        const details = h(
          'details',
          { class: 'message', open: open.has(m.messageId), dataset: { id: m.messageId } },
          h(
            'summary',
            {},
            h('code', { class: 'id' }, m.messageId),
            h('span', { class: 'body-preview' }, m.bodyPreview),
            h(
              'span',
              { class: 'meta' },
              `${bytes(m.bodySize)} · p${m.priority ?? 4} · ${time(m.timestamp)}`,
            ),
          ),
          h(
            'dl',
            { class: 'headers' },
            Object.entries(m.headers ?? {}).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
          ),
          h('pre', {}, m.bodyPreview),
        );
        details.addEventListener('toggle', () => {
          if (details.open) open.add(m.messageId);
          else open.delete(m.messageId);
        });
        list.append(details);
      }
    },
  };
}
