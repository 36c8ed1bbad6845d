// Connections: who is connected, their traffic, close and trace.
import { del, get } from '../api.js';
import { act } from '../dialog.js';
import { badge, bytes, h, num, since } from '../dom.js';
import { SortableTable } from '../table.js';

export function connectionsView({ refreshSoon }) {
  const table = new SortableTable({
    key: (c) => c.id,
    empty: 'No client is connected.',
    columns: [
      {
        id: 'id',
        title: 'Connection',
        value: (c) => c.id,
        render: (c) =>
          h('a', { href: `#/connections/${encodeURIComponent(c.id)}`, class: 'strong mono' }, c.id),
      },
      {
        id: 'remote',
        title: 'Remote',
        value: (c) => `${c.remoteAddress}:${c.remotePort}`,
        render: (c) => h('span', { class: 'mono' }, `${c.remoteAddress}:${c.remotePort}`),
      },
      {
        id: 'transport',
        title: 'Transport',
        value: (c) => c.transport,
        render: (c) => [
          badge(c.transport),
          c.secure ? badge('TLS', 'ok') : null,
          c.version ? ` ${c.version}` : '',
        ],
      },
      {
        id: 'user',
        title: 'User',
        value: (c) => c.user || '',
        render: (c) => c.user || h('span', { class: 'muted' }, 'anonymous'),
      },
      {
        id: 'subs',
        title: 'Subs',
        value: (c) => c.subscriptions,
        render: (c) => num(c.subscriptions),
        numeric: true,
      },
      {
        id: 'in',
        title: 'Msgs in',
        value: (c) => c.messagesIn,
        render: (c) => num(c.messagesIn),
        numeric: true,
      },
      {
        id: 'out',
        title: 'Msgs out',
        value: (c) => c.messagesOut,
        render: (c) => num(c.messagesOut),
        numeric: true,
      },
      {
        id: 'bytes',
        title: 'Bytes in / out',
        value: (c) => c.bytesIn + c.bytesOut,
        render: (c) => `${bytes(c.bytesIn)} / ${bytes(c.bytesOut)}`,
        numeric: true,
      },
      {
        id: 'buffered',
        title: 'Buffered',
        value: (c) => c.bufferedAmount,
        render: (c) => bytes(c.bufferedAmount),
        numeric: true,
      },
      {
        id: 'since',
        title: 'Connected',
        value: (c) => c.connectedAt,
        render: (c) => since(c.connectedAt),
      },
      {
        id: 'actions',
        title: '',
        sortable: false,
        value: () => '',
        render: (c) =>
          h(
            'div',
            { class: 'actions' },
            h(
              'a',
              { class: 'button small ghost', href: `#/connections/${encodeURIComponent(c.id)}` },
              'Trace',
            ),
            closeButton(c, refreshSoon),
          ),
      },
    ],
  });
  const el = h(
    'section',
    { class: 'view' },
    h('h1', {}, 'Connections'),
    h('div', { class: 'card flush' }, table.el),
  );
  return {
    el,
    async refresh() {
      table.update(await get('/connections'));
    },
  };
}

export function closeButton(c, after) {
  return h(
    'button',
    {
      type: 'button',
      class: 'small danger',
      onclick: () =>
        act({
          title: `Close ${c.id}?`,
          text: `The client at ${c.remoteAddress} gets ERROR "closed by administrator"; its unacknowledged messages go back to their queues.`,
          action: 'Close connection',
          run: () => del(`/connections/${encodeURIComponent(c.id)}`),
          done: () => `Closed ${c.id}.`,
        }).then(after),
    },
    'Close',
  );
}
