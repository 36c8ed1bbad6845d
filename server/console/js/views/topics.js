// Topics and durable subscriptions, with delete and drop.
import { del, get, segment } from '../api.js';
import { act } from '../dialog.js';
import { badge, h, num } from '../dom.js';
import { SortableTable } from '../table.js';

export function topicsView({ refreshSoon }) {
  const topics = new SortableTable({
    key: (t) => t.destination,
    empty: 'No topics yet.',
    columns: [
      {
        id: 'name',
        title: 'Topic',
        value: (t) => t.destination,
        render: (t) => h('span', { class: 'strong' }, t.destination),
      },
      {
        id: 'subscribers',
        title: 'Subscribers',
        value: (t) => t.subscribers,
        render: (t) => num(t.subscribers),
        numeric: true,
      },
      {
        id: 'durable',
        title: 'Durable',
        value: (t) => t.durableSubscriptions,
        render: (t) => num(t.durableSubscriptions),
        numeric: true,
      },
      {
        id: 'history',
        title: 'History',
        value: (t) => t.historySize ?? 0,
        render: (t) =>
          t.history ? `${num(t.historySize)} / ${num(t.history.maxMessages || Number.NaN)}` : '—',
        numeric: true,
      },
      {
        id: 'published',
        title: 'Published',
        value: (t) => t.published,
        render: (t) => num(t.published),
        numeric: true,
      },
      {
        id: 'delivered',
        title: 'Delivered',
        value: (t) => t.delivered,
        render: (t) => num(t.delivered),
        numeric: true,
      },
      {
        id: 'dropped',
        title: 'Dropped',
        value: (t) => t.dropped,
        render: (t) => (t.dropped > 0 ? badge(num(t.dropped), 'warn') : '0'),
        numeric: true,
      },
      {
        id: 'in',
        title: 'In/s',
        value: (t) => t.rates?.inPerSec ?? 0,
        render: (t) => num(t.rates?.inPerSec),
        numeric: true,
      },
      {
        id: 'out',
        title: 'Out/s',
        value: (t) => t.rates?.outPerSec ?? 0,
        render: (t) => num(t.rates?.outPerSec),
        numeric: true,
      },
      {
        id: 'actions',
        title: '',
        sortable: false,
        value: () => '',
        render: (t) =>
          h(
            'button',
            {
              type: 'button',
              class: 'small danger',
              onclick: () =>
                act({
                  title: `Delete ${t.destination}?`,
                  text: 'The topic, its history and its offline durable subscriptions are deleted.',
                  action: 'Delete',
                  run: () => del(`/topics/${segment(t.destination)}`),
                  done: () => `Deleted ${t.destination}.`,
                }).then(refreshSoon),
            },
            'Delete',
          ),
      },
    ],
  });
  const durables = new SortableTable({
    key: (d) => `${d.clientId}/${d.name}`,
    empty: 'No durable subscriptions.',
    columns: [
      { id: 'clientId', title: 'Client id', value: (d) => d.clientId },
      { id: 'name', title: 'Name', value: (d) => d.name },
      { id: 'destination', title: 'Destination', value: (d) => d.destination },
      { id: 'selector', title: 'Selector', value: (d) => d.selector ?? '' },
      {
        id: 'online',
        title: 'State',
        value: (d) => (d.online ? 1 : 0),
        render: (d) => (d.online ? badge('online', 'ok') : badge('offline')),
      },
      {
        id: 'pending',
        title: 'Pending',
        value: (d) => d.pending,
        render: (d) => num(d.pending),
        numeric: true,
      },
      {
        id: 'actions',
        title: '',
        sortable: false,
        value: () => '',
        render: (d) =>
          h(
            'button',
            {
              type: 'button',
              class: 'small danger',
              onclick: () =>
                act({
                  title: `Drop durable subscription ${d.name}?`,
                  text: `Client ${d.clientId} loses its ${num(d.pending)} pending message(s) on ${d.destination}.`,
                  action: 'Drop',
                  run: () =>
                    del(
                      `/durable-subscriptions/${encodeURIComponent(d.clientId)}/${encodeURIComponent(d.name)}`,
                    ),
                  done: () => `Dropped ${d.clientId}/${d.name}.`,
                }).then(refreshSoon),
            },
            'Drop',
          ),
      },
    ],
  });
  const el = h(
    'section',
    { class: 'view' },
    h('h1', {}, 'Topics'),
    h('div', { class: 'card flush' }, topics.el),
    h('h2', { class: 'section' }, 'Durable subscriptions'),
    h('div', { class: 'card flush' }, durables.el),
  );
  return {
    el,
    async refresh() {
      const [t, d] = await Promise.all([get('/topics'), get('/durable-subscriptions')]);
      topics.update(t);
      durables.update(d);
    },
  };
}
