/**
 * Authentication against a real broker: users-file passcodes over TCP,
 * JWTs over WebSocket (@stomp/stompjs and raw frames), CONNECTED
 * `x-token-expires`, in-band refresh with `SEND /system/token`, `token
 * expired`, and the slowing down of repeated failures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { addUser } from '../../../server/src/auth/index.js';
import { AUTH_FAILURES } from '../../../server/src/server.js';
import { startBroker } from '../../helpers/broker.js';
import { nextReceiptId, uniqueName } from '../../helpers/raw-client.js';
import { expectErrorAndClose, hsToken, refusedConnect, SECRET, usersFile } from './auth-support.js';

vi.setConfig({ testTimeout: 30_000 });

/** Throttling off unless a test is about it, so refusals answer at once. */
const NO_THROTTLE = { baseMs: 0 };

describe('passcode logins (users file)', () => {
  it('accepts a right passcode; frames sent right behind CONNECT wait for it and run in order', async () => {
    const file = await usersFile({ alice: ['wonderland', ['ops']] });
    const b = await startBroker({
      auth: { usersFile: file, defaultPermissions: ['read', 'write'] },
    });
    const c = await b.tcp();
    const topic = `/topic/${uniqueName('pipelined')}`;
    const receipt = nextReceiptId();
    // One write: CONNECT, SUBSCRIBE, SEND; the scrypt check completes after all three have arrived.
    c.sendRaw(
      `CONNECT\naccept-version:1.2\nhost:localhost\nlogin:alice\npasscode:wonderland\n\n\0` +
        `SUBSCRIBE\nid:s1\ndestination:${topic}\n\n\0` +
        `SEND\ndestination:${topic}\nreceipt:${receipt}\n\nhello\0`,
    );
    const connected = await c.expectFrame('CONNECTED');
    expect(connected.headers['x-token-expires']).toBeUndefined();
    const message = await c.message();
    expect(message.bodyText).toBe('hello');
    await c.expectReceipt(receipt);
  });

  it('reads a YAML users file (named .yaml) as well as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stompede-yaml-users-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'users.yaml');
    await addUser(file, 'yuki', 'yaml-pass', { params: { N: 1024, r: 8, p: 1 } });
    const b = await startBroker({ auth: { usersFile: file, throttle: NO_THROTTLE } });
    await b.connectTcp({ login: 'yuki', passcode: 'yaml-pass' }, 'yuki');
    const wrong = await b.tcp('wrong');
    const { error } = await refusedConnect(wrong, { login: 'yuki', passcode: 'nope' });
    expect(error.headers.message).toBe('authentication failed');
  });

  it('refuses a wrong passcode and an unknown user with the same ERROR, and closes', async () => {
    const file = await usersFile({ alice: ['wonderland', []] });
    const b = await startBroker({ auth: { usersFile: file, throttle: NO_THROTTLE } });
    const wrong = await refusedConnect(await b.tcp(), { login: 'alice', passcode: 'nope' });
    const unknown = await refusedConnect(await b.tcp(), { login: 'mallory', passcode: 'nope' });
    const empty = await refusedConnect(await b.tcp(), { login: 'alice' });
    for (const { error } of [wrong, unknown, empty]) {
      expect(error.headers.message).toBe('authentication failed');
      expect(error.bodyText).toBe(wrong.error.bodyText);
    }
    expect(b.broker.counters.get(AUTH_FAILURES)).toBe(3);
  });

  it('refuses connections without credentials unless anonymous access is on', async () => {
    const file = await usersFile({ alice: ['wonderland', []] });
    const closed = await startBroker({ auth: { usersFile: file, throttle: NO_THROTTLE } });
    const { error } = await refusedConnect(await closed.tcp(), {});
    expect(error.headers.message).toBe('authentication failed');
    const open = await startBroker({ auth: { usersFile: file, allowAnonymous: true } });
    await (await open.tcp()).connect({});
  });

  it('picks up users added while it runs, without a restart', async () => {
    const file = await usersFile({ alice: ['wonderland', []] });
    const b = await startBroker({ auth: { usersFile: file, throttle: NO_THROTTLE } });
    await addUser(file, 'bob', 'builder', { params: { N: 1024, r: 8, p: 1 } });
    // The file is looked at again at most once a second.
    await new Promise((r) => setTimeout(r, 1100));
    await (await b.tcp()).connect({ login: 'bob', passcode: 'builder' });
  });

  it('slows down repeated failures from one address', async () => {
    const file = await usersFile({ alice: ['wonderland', []] });
    const b = await startBroker({
      auth: { usersFile: file, throttle: { baseMs: 600, maxMs: 5000 } },
    });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { error, ms } = await refusedConnect(await b.tcp(), {
        login: 'alice',
        passcode: `guess-${i}`,
      });
      expect(error.headers.message).toBe('authentication failed');
      times.push(ms);
    }
    // Nominally +600 ms and +1200 ms over the first; generous bounds.
    expect(times[1]! - times[0]!).toBeGreaterThan(400);
    expect(times[2]! - times[0]!).toBeGreaterThan(900);
    // A good login still gets in (the delay only holds back refusals).
    await (await b.tcp()).connect({ login: 'alice', passcode: 'wonderland' });
  });
});

describe('JWT logins', () => {
  it('logs a browser in over WebSocket with @stomp/stompjs (the token is the passcode)', async () => {
    const b = await startBroker({
      auth: { jwt: { secret: SECRET }, defaultPermissions: ['read', 'write'] },
    });
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = await hsToken('carol', { exp, groups: ['web'] });
    const h = await b.stompjs({ connectHeaders: { login: 'jwt', passcode: token } });
    expect(h.connectedFrame.headers['x-token-expires']).toBe(String(exp * 1000));
    const topic = `/topic/${uniqueName('jwt')}`;
    const sub = await h.subscribeConfirmed(topic);
    await h.publishConfirmed(topic, 'from a browser');
    expect((await sub.waitFor(1))[0]!.body).toBe('from a browser');
  });

  it('accepts ES256 tokens checked against a local JWKS file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stompede-jwks-it-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }),
    );
    const b = await startBroker({
      auth: { jwt: { jwksFile, audience: ['stompede'] }, defaultPermissions: ['read'] },
    });
    const sign = (aud: string) =>
      new SignJWT({ sub: 'dan' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setAudience(aud)
        .setExpirationTime('5m')
        .sign(privateKey);
    const ok = await b.connectWs({ login: 'jwt', passcode: await sign('stompede') });
    expect(ok.isClosed).toBe(false);
    const ws = await b.ws();
    const { error } = await refusedConnect(ws, { login: 'jwt', passcode: await sign('other') });
    expect(error.headers.message).toBe('authentication failed');
    // An HS256 token is no use here, even one signed with a secret someone might guess.
    const hs = await hsToken('dan', { aud: 'stompede' });
    const { error: confused } = await refusedConnect(await b.ws(), { passcode: hs });
    expect(confused.headers.message).toBe('authentication failed');
  });

  it('refuses expired and foreign-signed tokens', async () => {
    const b = await startBroker({
      auth: { jwt: { secret: SECRET, clockToleranceMs: 0 }, throttle: NO_THROTTLE },
    });
    const expired = await hsToken('carol', { exp: Math.floor(Date.now() / 1000) - 10 });
    const foreign = await hsToken('carol', {}, 'some-other-secret-of-at-least-32-bytes!!');
    for (const passcode of [expired, foreign]) {
      const { error } = await refusedConnect(await b.ws(), { login: 'jwt', passcode });
      expect(error.headers.message).toBe('authentication failed');
    }
  });

  it('extends a connection in-band: SEND /system/token with a fresh token gets a RECEIPT', async () => {
    const b = await startBroker({
      auth: { jwt: { secret: SECRET, clockToleranceMs: 0 }, defaultPermissions: ['read', 'write'] },
    });
    const c = await b.ws();
    const connected = await c.connect({
      login: 'jwt',
      passcode: await hsToken('carol', { expiresInS: 2 }),
    });
    const firstExpiry = Number(connected.headers['x-token-expires']);
    expect(firstExpiry).toBeGreaterThan(Date.now());
    expect(firstExpiry).toBeLessThanOrEqual(Date.now() + 2000);
    const receipt = nextReceiptId();
    c.send('SEND', { destination: '/system/token', receipt }, await hsToken('carol'));
    await c.expectReceipt(receipt);
    // Past the first token's expiry the connection lives on.
    await new Promise((r) => setTimeout(r, firstExpiry - Date.now() + 1500));
    const later = nextReceiptId();
    const topic = `/topic/${uniqueName('refreshed')}`;
    c.send('SEND', { destination: topic, receipt: later }, 'still here');
    await c.expectReceipt(later);
    expect(c.isClosed).toBe(false);
  });

  it('ends a connection whose token expired without refresh: ERROR "token expired"', async () => {
    const b = await startBroker({ auth: { jwt: { secret: SECRET, clockToleranceMs: 0 } } });
    const c = await b.tcp();
    const connected = await c.connect({
      login: 'jwt',
      passcode: await hsToken('carol', { expiresInS: 2 }),
    });
    const expiresAt = Number(connected.headers['x-token-expires']);
    const error = await expectErrorAndClose(c, 8000);
    expect(error.headers.message).toBe('token expired');
    // Enforced on the broker's scheduler tick: at or after exp, within a couple of ticks.
    expect(c.closedAt!).toBeGreaterThanOrEqual(expiresAt);
    expect(c.closedAt! - expiresAt).toBeLessThan(3000);
  });

  it('refuses a bad refresh (wrong signature, or another user) with ERROR and receipt-id', async () => {
    const b = await startBroker({ auth: { jwt: { secret: SECRET }, throttle: NO_THROTTLE } });
    const forged = await hsToken('carol', {}, 'some-other-secret-of-at-least-32-bytes!!');
    for (const token of [forged, await hsToken('mallory'), 'not a token']) {
      const c = await b.tcp();
      await c.connect({ login: 'jwt', passcode: await hsToken('carol') });
      const receipt = nextReceiptId();
      c.send('SEND', { destination: '/system/token', receipt }, token);
      const error = await expectErrorAndClose(c);
      expect(error.headers.message).toBe('authentication failed');
      expect(error.headers['receipt-id']).toBe(receipt);
    }
  });

  it('takes both kinds of login on one broker: users file and JWT', async () => {
    const file = await usersFile({ alice: ['wonderland', []] });
    const b = await startBroker({ auth: { usersFile: file, jwt: { secret: SECRET } } });
    await (await b.tcp()).connect({ login: 'alice', passcode: 'wonderland' });
    const c = await b.tcp();
    const connected = await c.connect({ login: 'jwt', passcode: await hsToken('carol') });
    expect(connected.headers['x-token-expires']).toMatch(/^\d+$/);
  });
});
