// Routing explain: who would receive a message to DEST with these headers,
// and what kept the others from it.
import { post } from '../api.js';
import { badge, h } from '../dom.js';
import { SortableTable } from '../table.js';

export function explainView() {
  const destination = h('input', {
    name: 'destination',
    required: true,
    placeholder: '/topic/prices.eu',
    value: '/queue/',
  });
  const headers = h('textarea', { name: 'headers', rows: 2, placeholder: 'region=eu\npriority=9' });
  const sender = h('input', { name: 'sender', placeholder: 'optional: a connection id' });
  const summary = h('p', { class: 'summary' });
  const matched = new SortableTable({
    key: (m) => `${m.connectionId}/${m.subscriptionId}`,
    empty: 'No subscription would receive it.',
    caption: 'Would receive it',
    columns: [
      {
        id: 'connection',
        title: 'Connection',
        value: (m) => m.connectionId,
        render: (m) =>
          h(
            'a',
            { class: 'mono', href: `#/connections/${encodeURIComponent(m.connectionId)}` },
            m.connectionId,
          ),
      },
      { id: 'subscription', title: 'Subscription', value: (m) => m.subscriptionId },
      { id: 'destination', title: 'Subscribed to', value: (m) => m.destination },
      {
        id: 'kind',
        title: 'Kind',
        value: (m) => m.kind,
        render: (m) => [badge(m.kind), m.next ? badge('next', 'ok') : null],
      },
      { id: 'selector', title: 'Selector', value: (m) => m.selector ?? '' },
    ],
  });
  const rejected = new SortableTable({
    key: (m) => `${m.connectionId}/${m.subscriptionId}`,
    empty: 'No subscription was turned away.',
    caption: 'Would not',
    columns: [
      { id: 'connection', title: 'Connection', value: (m) => m.connectionId ?? '' },
      { id: 'subscription', title: 'Subscription', value: (m) => m.subscriptionId ?? '' },
      {
        id: 'reason',
        title: 'Reason',
        value: (m) => m.reason,
        render: (m) => badge(m.reason, 'warn'),
      },
      { id: 'detail', title: 'Detail', value: (m) => m.detail ?? '' },
    ],
  });
  const results = h(
    'div',
    { class: 'results', hidden: true },
    summary,
    h('div', { class: 'card flush' }, matched.el),
    h('div', { class: 'card flush' }, rejected.el),
  );
  const form = h(
    'form',
    { class: 'card form', onsubmit: (e) => submit(e) },
    h('label', {}, 'Destination', destination),
    h('label', {}, 'Headers (one name=value a line)', headers),
    h('label', {}, 'Sent by', sender),
    h('div', {}, h('button', { type: 'submit' }, 'Explain')),
  );

  async function submit(event) {
    event.preventDefault();
    const parsed = {};
    for (const line of headers.value.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) parsed[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    try {
      const body = { destination: destination.value.trim(), headers: parsed };
      if (sender.value.trim() !== '') body.sender = sender.value.trim();
      const answer = await post('/explain', body);
      results.hidden = false;
      summary.replaceChildren(
        h('strong', {}, answer.destination),
        ` (${answer.kind ?? 'destination'}): ${answer.matched.length} would receive it, ${answer.rejected.length} would not.`,
        answer.accepted === false ? badge('the sender may not send here', 'bad') : '',
      );
      summary.classList.remove('error');
      matched.update(answer.matched);
      rejected.update(answer.rejected);
    } catch (err) {
      results.hidden = false;
      summary.textContent = err.message;
      summary.classList.add('error');
      matched.update([]);
      rejected.update([]);
    }
  }

  const el = h(
    'section',
    { class: 'view' },
    h('h1', {}, 'Routing explain'),
    h(
      'p',
      { class: 'muted' },
      'Which subscriptions would a message reach, and which selector, ACL or policy would turn the others away? Nothing is sent.',
    ),
    form,
    results,
  );
  return { el, refresh: async () => {} };
}
