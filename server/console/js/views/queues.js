// Queues: a live, sortable table with purge, delete and DLQ replay.
import { del, get, post, segment } from '../api.js';
import { act } from '../dialog.js';
import { badge, h, num } from '../dom.js';
import { SortableTable } from '../table.js';

export function queuesView({ refreshSoon }) {
  const table = new SortableTable({
    key: (q) => q.destination,
    empty: 'No queues. A queue appears when a message is sent to it or a consumer subscribes.',
    columns: [
      {
        id: 'name',
        title: 'Queue',
        value: (q) => q.name,
        render: (q) =>
          h(
            'a',
            { href: `#/queues/${encodeURIComponent(q.name)}`, class: 'strong' },
            q.destination,
            q.name.startsWith('DLQ.') ? badge('DLQ', 'warn') : null,
          ),
      },
      {
        id: 'depth',
        title: 'Depth',
        value: (q) => q.depth,
        render: (q) => num(q.depth),
        numeric: true,
      },
      {
        id: 'inFlight',
        title: 'In flight',
        value: (q) => q.inFlight,
        render: (q) => num(q.inFlight),
        numeric: true,
      },
      {
        id: 'consumers',
        title: 'Consumers',
        value: (q) => q.consumers,
        render: (q) => num(q.consumers),
        numeric: true,
      },
      {
        id: 'enqueued',
        title: 'Enqueued',
        value: (q) => q.enqueued,
        render: (q) => num(q.enqueued),
        numeric: true,
      },
      {
        id: 'dequeued',
        title: 'Dequeued',
        value: (q) => q.dequeued,
        render: (q) => num(q.dequeued),
        numeric: true,
      },
      {
        id: 'dlq',
        title: 'DLQ',
        value: (q) => q.dlq?.depth ?? -1,
        render: (q) => (q.dlq ? num(q.dlq.depth) : '—'),
        numeric: true,
      },
      {
        id: 'in',
        title: 'In/s',
        value: (q) => q.rates?.inPerSec ?? 0,
        render: (q) => num(q.rates?.inPerSec),
        numeric: true,
      },
      {
        id: 'out',
        title: 'Out/s',
        value: (q) => q.rates?.outPerSec ?? 0,
        render: (q) => num(q.rates?.outPerSec),
        numeric: true,
      },
      {
        id: 'actions',
        title: '',
        sortable: false,
        value: () => '',
        render: (q) => queueActions(q, refreshSoon),
      },
    ],
  });
  const el = h(
    'section',
    { class: 'view' },
    h('h1', {}, 'Queues'),
    h('div', { class: 'card flush' }, table.el),
  );
  return {
    el,
    async refresh() {
      table.update(await get('/queues'));
    },
  };
}

export function queueActions(q, refreshSoon, { browse = true } = {}) {
  const name = segment(q.name);
  return h(
    'div',
    { class: 'actions' },
    h(
      'a',
      { class: 'button small ghost', href: `#/queues/${encodeURIComponent(q.name)}` },
      'Browse',
    ),
    q.name.startsWith('DLQ.') || (q.depth > 0 && isDeadLetterQueue(q))
      ? h(
          'button',
          {
            type: 'button',
            class: 'small',
            onclick: () =>
              act({
                title: `Replay ${q.destination}?`,
                text: 'Every message waiting here goes back to the queue it was dead-lettered from.',
                action: 'Replay',
                run: () => post(`/queues/${name}/replay`),
                done: (a) =>
                  `Moved ${a.moved} message(s) back${a.kept ? `, ${a.kept} stayed` : ''}.`,
              }).then(refreshSoon),
          },
          'Replay',
        )
      : null,
    h(
      'button',
      {
        type: 'button',
        class: 'small warn',
        onclick: () =>
          act({
            title: `Purge ${q.destination}?`,
            text: `The ${num(q.depth)} waiting message(s) are deleted. Messages in flight stay with their consumers.`,
            action: 'Purge',
            run: () => del(`/queues/${name}/messages`),
            done: (a) => `Purged ${a.purged} message(s) from ${q.destination}.`,
          }).then(refreshSoon),
      },
      'Purge',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'small danger',
        onclick: () =>
          act({
            title: `Delete ${q.destination}?`,
            text: 'The queue and every message in it are deleted.',
            action: 'Delete',
            run: () => del(`/queues/${name}`),
            done: () => `Deleted ${q.destination}.`,
          }).then(refreshSoon),
      },
      'Delete',
    ),
  );
}

function isDeadLetterQueue(q) {
  return q.name.toUpperCase().includes('DLQ');
}
