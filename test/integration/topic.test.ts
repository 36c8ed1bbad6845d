import { describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../helpers/raw-client.js';
import { CLIENT_TRANSPORTS, startFor } from '../helpers/transports.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

describe.each(CLIENT_TRANSPORTS)('topics (%s)', (transport) => {
  it('fans every message out to every current subscriber, in order', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('fan')}`;
    const subs = await Promise.all([1, 2, 3].map((i) => b.connect({}, `sub${i}`)));
    await Promise.all(subs.map((s, i) => s.subscribe(dest, `sub-${i}`)));
    const pub = await b.connect({}, 'pub');
    const bodies = Array.from({ length: 10 }, (_, i) => `m${i}`);
    for (const body of bodies) pub.send('SEND', { destination: dest }, body);
    await pub.sendWithReceipt('SEND', { destination: dest }, 'last');
    for (const [i, s] of subs.entries()) {
      const got = await s.messages(11);
      expect(got.map((m) => m.bodyText)).toEqual([...bodies, 'last']);
      for (const m of got) {
        expect(m.headers.destination).toBe(dest);
        expect(m.headers.subscription).toBe(`sub-${i}`);
      }
    }
  });

  it('delivers to a publisher that is itself subscribed', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('self')}`;
    const c = await b.connect();
    await c.subscribe(dest, 'me');
    c.send('SEND', { destination: dest }, 'echo');
    const m = await c.message();
    expect(m.bodyText).toBe('echo');
    expect(m.headers.subscription).toBe('me');
  });

  it('carries destination, unique message-id, subscription, content-type, content-length and application headers', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('hdr')}`;
    const sub = await b.connect({}, 'sub');
    await sub.subscribe(dest, 'the-sub-id');
    const pub = await b.connect({}, 'pub');
    const body = 'héllo wörld ✓';
    pub.send(
      'SEND',
      {
        destination: dest,
        'content-type': 'text/plain;charset=utf-8',
        'x-custom': '1',
        'correlation-id': 'corr-42',
        'reply-to': '/queue/replies',
      },
      body,
    );
    pub.send('SEND', { destination: dest }, 'second');
    const [m1, m2] = await sub.messages(2);
    expect(m1!.headers.destination).toBe(dest);
    expect(m1!.headers.subscription).toBe('the-sub-id');
    expect(m1!.headers['message-id']).toBeTruthy();
    expect(m2!.headers['message-id']).toBeTruthy();
    expect(m1!.headers['message-id']).not.toBe(m2!.headers['message-id']);
    expect(m1!.headers['content-type']).toBe('text/plain;charset=utf-8');
    expect(m1!.headers['x-custom']).toBe('1');
    expect(m1!.headers['correlation-id']).toBe('corr-42');
    expect(m1!.headers['reply-to']).toBe('/queue/replies');
    expect(m1!.bodyText).toBe(body);
    if (m1!.headers['content-length'] !== undefined) {
      expect(Number(m1!.headers['content-length'])).toBe(Buffer.byteLength(body, 'utf8'));
    }
    if (m2!.headers['content-length'] !== undefined) {
      expect(Number(m2!.headers['content-length'])).toBe(6);
    }
  });

  it('preserves escaped header values (colon, newline, backslash) in STOMP 1.2', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('esc')}`;
    const sub = await b.connect({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connect({}, 'pub');
    // The helper escapes these as \c, \n and \\ on the wire.
    pub.send('SEND', { destination: dest, 'x-weird': 'a:b\nc\\d' }, 'x');
    const m = await sub.message();
    expect(m.headers['x-weird']).toBe('a:b\nc\\d');
  });

  it('sends an empty body with no content or content-length 0', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('empty')}`;
    const sub = await b.connect({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connect({}, 'pub');
    pub.send('SEND', { destination: dest });
    const m = await sub.message();
    expect(m.body.length).toBe(0);
    if (m.headers['content-length'] !== undefined) expect(m.headers['content-length']).toBe('0');
  });

  it('does not retain topic messages published while nobody is subscribed', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('noretain')}`;
    const pub = await b.connect({}, 'pub');
    await pub.publish(dest, 'lost');
    const sub = await b.connect({}, 'sub');
    await sub.subscribe(dest, 's');
    await pub.publish(dest, 'kept');
    const m = await sub.message();
    expect(m.bodyText).toBe('kept');
    await sub.expectNoMessage();
  });

  it('does not deliver to subscribers of a different topic', async () => {
    const b = await startFor(transport);
    const a = `/topic/${uniqueName('a')}`;
    const other = `/topic/${uniqueName('b')}`;
    const sub = await b.connect({}, 'sub');
    await sub.subscribe(other, 's');
    const pub = await b.connect({}, 'pub');
    await pub.publish(a, 'for-a');
    await sub.expectNoMessage();
  });

  it('stops delivering to a subscription after UNSUBSCRIBE by id', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('unsub')}`;
    const stay = await b.connect({}, 'stay');
    const leave = await b.connect({}, 'leave');
    await stay.subscribe(dest, 'stay-1');
    await leave.subscribe(dest, 'leave-1');
    const pub = await b.connect({}, 'pub');
    await pub.publish(dest, 'one');
    expect((await leave.message()).bodyText).toBe('one');
    expect((await stay.message()).bodyText).toBe('one');
    await leave.unsubscribe('leave-1');
    await pub.publish(dest, 'two');
    expect((await stay.message()).bodyText).toBe('two');
    await leave.expectNoMessage();
  });

  it('routes two subscriptions of one connection to the same topic independently', async () => {
    const b = await startFor(transport);
    const dest = `/topic/${uniqueName('twosubs')}`;
    const c = await b.connect();
    await c.subscribe(dest, 'x');
    await c.subscribe(dest, 'y');
    const pub = await b.connect({}, 'pub');
    await pub.publish(dest, 'dup');
    const got = await c.messages(2);
    expect(got.map((m) => m.headers.subscription).sort()).toEqual(['x', 'y']);
    expect(got.every((m) => m.bodyText === 'dup')).toBe(true);
  });
});

describe('topics over TCP: many subscribers', () => {
  it('delivers every message to 50 concurrent subscriber connections', async () => {
    const b = await startFor('tcp');
    const dest = `/topic/${uniqueName('many')}`;
    const subs = await Promise.all(Array.from({ length: 50 }, (_, i) => b.connect({}, `s${i}`)));
    await Promise.all(subs.map((s) => s.subscribe(dest, 's')));
    const pub = await b.connect({}, 'pub');
    const sent = Array.from({ length: 20 }, (_, i) => `k${i}`);
    for (const body of sent) pub.send('SEND', { destination: dest }, body);
    const all = await Promise.all(subs.map((s) => s.messages(20, () => true, 15_000)));
    for (const got of all) expect(got.map((m) => m.bodyText)).toEqual(sent);
  });
});

describe('topics over TCP: slow consumers', () => {
  it('keeps delivering to a fast subscriber while another subscriber stops reading its socket', async () => {
    const b = await startFor('tcp');
    const dest = `/topic/${uniqueName('slow')}`;
    const slow = await b.connectTcp({}, 'slow');
    await slow.subscribe(dest, 'slow');
    slow.socket.pause();
    const fast = await b.connect({}, 'fast');
    await fast.subscribe(dest, 'fast');
    const pub = await b.connect({}, 'pub');
    const payload = 'p'.repeat(1024);
    const n = 2000;
    for (let i = 0; i < n; i++)
      pub.send('SEND', { destination: dest, 'x-seq': String(i) }, payload);
    const got = await fast.messages(n, () => true, 20_000);
    expect(got.map((m) => Number(m.headers['x-seq']))).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    expect(pub.isClosed).toBe(false);
  });
});

describe('topics over TCP: binary bodies', () => {
  it('delivers a body containing NUL bytes intact thanks to content-length', async () => {
    const b = await startFor('tcp');
    const dest = `/topic/${uniqueName('nul')}`;
    const sub = await b.connect({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connect({}, 'pub');
    const body = Buffer.from([0x61, 0x00, 0x62, 0x00, 0x00, 0xff, 0xfe, 0x0a, 0x63]);
    pub.send('SEND', { destination: dest, 'content-type': 'application/octet-stream' }, body);
    const m = await sub.message();
    expect(m.headers['content-length']).toBe(String(body.length));
    expect(m.body.equals(body)).toBe(true);
    expect(m.headers['content-type']).toBe('application/octet-stream');
  });

  it('delivers a 64 KiB body intact', async () => {
    const b = await startFor('tcp', { limits: { maxFrameSize: 1024 * 1024 } });
    const dest = `/topic/${uniqueName('big')}`;
    const sub = await b.connect({}, 'sub');
    await sub.subscribe(dest, 's');
    const pub = await b.connect({}, 'pub');
    const body = Buffer.alloc(64 * 1024, 'abcdefghij');
    pub.send('SEND', { destination: dest }, body);
    const m = await sub.message();
    expect(m.body.length).toBe(body.length);
    expect(m.body.equals(body)).toBe(true);
  });
});
