/**
 * JMS message selectors on SUBSCRIBE (ActiveMQ `selector` header), on topics and queues,
 * over raw TCP and @stomp/stompjs over WebSocket.
 */
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../../helpers/broker.js';
import {
  bodiesOf,
  drainMessages,
  errorText,
  expectError,
  expectRefused,
} from '../../helpers/compat.js';
import { uniqueName } from '../../helpers/raw-client.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

/** Messages published to one topic; each case below names the bodies its selector must select. */
const MESSAGES: Array<[string, Record<string, string>]> = [
  ['red-10', { color: 'red', weight: '10', name: 'a_b', size: 'L' }],
  ['blue-9', { color: 'blue', weight: '9', name: 'ab', size: 'M' }],
  ['green-100', { color: 'green', weight: '100', name: 'a%c', size: 'S', tag: 'x' }],
  ['none', {}],
  [
    'jms',
    {
      priority: '8',
      type: 'order',
      'correlation-id': 'corr-42',
      persistent: 'true',
      'content-type': 'text/plain',
    },
  ],
  ['jms-low', { priority: '2', type: 'invoice', 'content-type': 'application/json' }],
];

const CASES: Array<[string, string[]]> = [
  ["color = 'red'", ['red-10']],
  ["color <> 'red'", ['blue-9', 'green-100']],
  // Numeric comparison of numeric-looking header values: '10' > '9' is false as strings.
  ['weight > 9', ['red-10', 'green-100']],
  ['weight >= 10 AND weight < 100', ['red-10']],
  ['weight <= 9', ['blue-9']],
  ['weight * 2 + 1 = 21', ['red-10']],
  ['weight / 10 - 1 = 9', ['green-100']],
  ["color = 'red' OR color = 'blue'", ['red-10', 'blue-9']],
  ["NOT (color = 'red')", ['blue-9', 'green-100']],
  ["color IN ('red', 'green')", ['red-10', 'green-100']],
  ["color NOT IN ('red', 'green')", ['blue-9']],
  ['weight BETWEEN 9 AND 10', ['red-10', 'blue-9']],
  ['weight NOT BETWEEN 9 AND 10', ['green-100']],
  ["name LIKE 'a\\_%' ESCAPE '\\'", ['red-10']],
  ["name LIKE 'a_b'", ['red-10']],
  ["name LIKE 'a!%%' ESCAPE '!'", ['green-100']],
  ["name NOT LIKE 'a%'", []],
  ['tag IS NULL AND color IS NOT NULL', ['red-10', 'blue-9']],
  ['tag IS NOT NULL', ['green-100']],
  ['JMSPriority > 6', ['jms']],
  ["JMSType = 'order'", ['jms']],
  ["JMSCorrelationID = 'corr-42'", ['jms']],
  ["JMSDeliveryMode = 'PERSISTENT'", ['jms']],
  ['JMSMessageID IS NOT NULL AND JMSTimestamp > 0 AND JMSPriority < 3', ['jms-low']],
  ['"content-type" = \'text/plain\'', ['jms']],
  ['"content-type" LIKE \'application/%\'', ['jms-low']],
];

describe('selectors on topics', () => {
  it('delivers to each selector subscriber exactly the messages its selector selects', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('sel')}`;
    const sub = await b.connectTcp({}, 'sub');
    for (const [i, [selector]] of CASES.entries()) await sub.subscribe(dest, `s${i}`, { selector });
    await sub.subscribe(dest, 'all');
    const pub = await b.connectTcp({}, 'pub');
    for (const [body, headers] of MESSAGES) await pub.publish(dest, body, headers);
    const got = await drainMessages(sub);
    const bySub = new Map<string, string[]>();
    for (const f of got) {
      const id = f.headers.subscription ?? '?';
      bySub.set(id, [...(bySub.get(id) ?? []), f.bodyText]);
    }
    const actual = CASES.map(([selector], i) => [selector, bySub.get(`s${i}`) ?? []]);
    const expected = CASES.map(([selector, bodies]) => [selector, bodies]);
    expect(actual).toEqual(expected);
    expect(bySub.get('all')).toEqual(MESSAGES.map(([body]) => body));
  });

  it('skips non-matching messages only for the selector subscriber, keeping order for matches', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('seltopic')}`;
    const picky = await b.connectTcp({}, 'picky');
    const everyone = await b.connectTcp({}, 'everyone');
    await picky.subscribe(dest, 'p', { selector: 'n >= 5' });
    await everyone.subscribe(dest, 'e');
    const pub = await b.connectTcp({}, 'pub');
    for (let n = 0; n < 10; n++) pub.send('SEND', { destination: dest, n: String(n) }, `m${n}`);
    await pub.publish(dest, 'last', { n: '100' });
    expect(bodiesOf(await picky.messages(6))).toEqual(['m5', 'm6', 'm7', 'm8', 'm9', 'last']);
    expect(bodiesOf(await everyone.messages(11))).toHaveLength(11);
    expect(await drainMessages(picky)).toEqual([]);
  });
});

describe('selectors on queues', () => {
  it('leaves a non-matching message for other consumers; messages behind it reach the selector consumer', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('selq')}`;
    const pub = await b.connectTcp({}, 'pub');
    // Queued before anyone consumes: the non-matching one is at the head.
    await pub.publish(dest, 'b1', { kind: 'b' });
    await pub.publish(dest, 'a1', { kind: 'a' });
    await pub.publish(dest, 'a2', { kind: 'a' });
    const aOnly = await b.connectTcp({}, 'aOnly');
    await aOnly.subscribe(dest, 'a', { selector: "kind = 'a'" });
    expect(bodiesOf(await aOnly.messages(2))).toEqual(['a1', 'a2']);
    // Published while the selector consumer is attached: still skipped by it.
    await pub.publish(dest, 'b2', { kind: 'b' });
    await pub.publish(dest, 'a3', { kind: 'a' });
    expect((await aOnly.message()).bodyText).toBe('a3');
    expect(await drainMessages(aOnly)).toEqual([]);

    const any = await b.connectTcp({}, 'any');
    await any.subscribe(dest, 'any');
    expect(bodiesOf(await any.messages(2))).toEqual(['b1', 'b2']);
    expect(await drainMessages(any)).toEqual([]);
  });

  it('splits a queue between two consumers with complementary selectors', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('selsplit')}`;
    const even = await b.connectTcp({}, 'even');
    const odd = await b.connectTcp({}, 'odd');
    await even.subscribe(dest, 'even', { selector: 'absent = 1 OR parity = 0' });
    await odd.subscribe(dest, 'odd', { selector: 'parity = 1' });
    const pub = await b.connectTcp({}, 'pub');
    for (let n = 0; n < 10; n++)
      pub.send('SEND', { destination: dest, parity: String(n % 2) }, `n${n}`);
    await pub.publish(dest, 'end-odd', { parity: '1' });
    const odds = await odd.messages(6);
    expect(bodiesOf(odds)).toEqual(['n1', 'n3', 'n5', 'n7', 'n9', 'end-odd']);
    expect(bodiesOf(await even.messages(5))).toEqual(['n0', 'n2', 'n4', 'n6', 'n8']);
  });
});

describe('selector errors', () => {
  const bad: Array<[string, number]> = [
    ['price > > 5', 8],
    ["color = 'red' AND", 17],
    ['(a = 1', 6],
  ];
  for (const [selector, position] of bad) {
    it(`refuses ${JSON.stringify(selector)} with "selector syntax error at position ${position}: expected …"`, async () => {
      const b = await startBroker();
      const c = await b.connectTcp({}, 'bad');
      const err = await expectRefused(c, 'SUBSCRIBE', {
        destination: `/topic/${uniqueName('badsel')}`,
        id: 's',
        selector,
      });
      expect(err.headers.message).toMatch(
        new RegExp(`^selector syntax error at position ${position}: expected \\S`),
      );
    });
  }

  it('refuses a bad selector on a queue subscription as well, and the queue is unaffected', async () => {
    const b = await startBroker();
    const dest = `/queue/${uniqueName('badselq')}`;
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'kept');
    const c = await b.connectTcp({}, 'bad');
    c.send('SUBSCRIBE', { destination: dest, id: 's', selector: "kind = 'a" });
    const err = await expectError(c);
    expect(errorText(err)).toMatch(/selector syntax error at position \d+: expected /);
    const ok = await b.connectTcp({}, 'ok');
    await ok.subscribe(dest, 'ok');
    expect((await ok.message()).bodyText).toBe('kept');
  });
});

describe('selectors with @stomp/stompjs over WebSocket', () => {
  it('filters a topic for a stompjs subscriber', async () => {
    const b = await startBroker();
    const dest = `/topic/${uniqueName('jssel')}`;
    const js = await b.stompjs();
    const hot = await js.subscribeConfirmed(dest, { selector: "region = 'EU' AND amount > 100" });
    const pub = await b.connectTcp({}, 'pub');
    await pub.publish(dest, 'eu-small', { region: 'EU', amount: '50' });
    await pub.publish(dest, 'us-big', { region: 'US', amount: '500' });
    await pub.publish(dest, 'eu-big', { region: 'EU', amount: '150' });
    await pub.publish(dest, 'eu-huge', { region: 'EU', amount: '1000' });
    const got = await hot.waitFor(2);
    expect(got.map((m) => m.body)).toEqual(['eu-big', 'eu-huge']);
    // A receipt round trip on the stompjs connection: nothing else was queued for it.
    await js.publishConfirmed(`/topic/${uniqueName('jsbarrier')}`, '');
    expect(hot.messages.map((m) => m.body)).toEqual(['eu-big', 'eu-huge']);
    expect(js.stompErrors).toEqual([]);
  });
});
