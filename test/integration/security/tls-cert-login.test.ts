/**
 * Client-certificate logins (auth.clientCertificates): a verified TLS client
 * certificate names a user of the users file, who is logged in without a
 * passcode and gets that user's groups; explicit login+passcode still win;
 * a certificate that maps to no user is `authentication failed`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker } from '../../../server/src/index.js';
import type { RawStompClient } from '../../helpers/raw-client.js';
import { uniqueName } from '../../helpers/raw-client.js';
import { expectErrorAndClose, usersFile } from './auth-support.js';
import { HAVE_OPENSSL, makePki, type Pki, startTlsBroker } from './tls-support.js';

const RULES = [
  { match: '/queue/ops.>', write: ['ops'] },
  { match: '/queue/alice.>', write: ['@alice'] },
  { match: '/queue/bob.>', write: ['@bob'] },
];

/** SEND with a receipt: true when it was accepted, false when refused with `not authorized`. */
async function maySend(client: RawStompClient, destination: string): Promise<boolean> {
  const receipt = uniqueName('r');
  client.send('SEND', { destination, receipt }, 'x');
  const answer = await client.waitForFrame(
    (f) => f.headers['receipt-id'] === receipt,
    `answer to ${receipt}`,
  );
  if (answer.command === 'RECEIPT') return true;
  expect(answer.headers.message).toBe(`not authorized to write ${destination}`);
  return false;
}

describe.skipIf(!HAVE_OPENSSL)('client-certificate logins', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki?.remove());

  async function broker(clientCertificates: Record<string, unknown>, rejectUnauthorized = false) {
    const users = await usersFile({
      alice: ['alice-pass', ['ops']],
      bob: ['bob-pass', ['dev']],
    });
    return startTlsBroker(pki, {
      auth: {
        usersFile: users,
        rules: RULES,
        throttle: { baseMs: 0 },
        clientCertificates: { enabled: true, ...clientCertificates },
      },
      tls: { caFile: pki.caFile, requestClientCert: true, rejectUnauthorized },
    });
  }

  it('userFrom cn: a verified certificate logs in as the user its CN names, with that user’s groups, no passcode', async () => {
    const b = await broker({ userFrom: 'cn' });
    const alice = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'alice');
    await alice.opened;
    await alice.connect();
    expect(await maySend(alice, '/queue/alice.inbox')).toBe(true);
    // Group 'ops' comes from the users file entry.
    expect(await maySend(alice, '/queue/ops.jobs')).toBe(true);
    expect(await maySend(alice, '/queue/bob.inbox')).toBe(false);
    await alice.expectClosed();

    // A login header that agrees with the certificate is fine.
    const again = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'alice-login');
    await again.opened;
    await again.connect({ login: 'alice' });
    expect(await maySend(again, '/queue/alice.inbox')).toBe(true);
  });

  it('the same works over wss://', async () => {
    const b = await broker({ userFrom: 'cn' });
    const alice = b.wss({ cert: pki.alice.cert, key: pki.alice.key }, 'alice-wss');
    await alice.opened;
    await alice.connect();
    expect(await maySend(alice, '/queue/alice.inbox')).toBe(true);
  });

  it('login and passcode still work, with or without a certificate, and win over the certificate', async () => {
    const b = await broker({ userFrom: 'cn' });
    const plain = b.tls(undefined, 'bob-no-cert');
    await plain.opened;
    await plain.connect({ login: 'bob', passcode: 'bob-pass' });
    expect(await maySend(plain, '/queue/bob.inbox')).toBe(true);

    const both = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'bob-with-alice-cert');
    await both.opened;
    await both.connect({ login: 'bob', passcode: 'bob-pass' });
    expect(await maySend(both, '/queue/bob.inbox')).toBe(true);
    expect(await maySend(both, '/queue/alice.inbox')).toBe(false);

    const wrong = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'wrong-pass');
    await wrong.opened;
    wrong.send('CONNECT', { 'accept-version': '1.2', login: 'bob', passcode: 'nope' });
    expect((await expectErrorAndClose(wrong)).headers.message).toBe('authentication failed');
  });

  it('a certificate that maps to no user, or a login that disagrees with it, is refused with authentication failed', async () => {
    const b = await broker({ userFrom: 'cn' });
    const carol = pki.issue('carol', '/O=Stompede Tests/CN=carol', 'extendedKeyUsage=clientAuth\n');
    const c = b.tls({ cert: carol.cert, key: carol.key }, 'carol');
    await c.opened;
    c.send('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
    const refused = await expectErrorAndClose(c);
    expect(refused.headers.message).toBe('authentication failed');

    const liar = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'alice-as-bob');
    await liar.opened;
    liar.send('CONNECT', { 'accept-version': '1.2', login: 'bob' });
    expect((await expectErrorAndClose(liar)).headers.message).toBe('authentication failed');
    expect(b.broker.counters.get('stompede_auth_failures_total')).toBe(2);
  });

  it('userFrom dn: the subject DN, in any spelling and order, is looked up in dnUsers', async () => {
    const b = await broker({
      userFrom: 'dn',
      // RFC 4514 order (CN first); the certificate's subject is /O=Stompede Tests/CN=alice.
      dnUsers: { 'cn=alice, O=Stompede Tests': 'bob' },
    });
    const mapped = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'alice-dn');
    await mapped.opened;
    await mapped.connect();
    expect(await maySend(mapped, '/queue/bob.inbox')).toBe(true);
    expect(await maySend(mapped, '/queue/alice.inbox')).toBe(false);

    const dave = pki.issue('dave', '/O=Stompede Tests/CN=dave', 'extendedKeyUsage=clientAuth\n');
    const unmapped = b.tls({ cert: dave.cert, key: dave.key }, 'dave');
    await unmapped.opened;
    unmapped.send('CONNECT', { 'accept-version': '1.2' });
    expect((await expectErrorAndClose(unmapped)).headers.message).toBe('authentication failed');
  });

  it('without a certificate and without credentials the connection is anonymous as configured (refused here)', async () => {
    const b = await broker({ userFrom: 'cn' });
    const none = b.tls(undefined, 'nobody');
    await none.opened;
    none.send('CONNECT', { 'accept-version': '1.2' });
    expect((await expectErrorAndClose(none)).headers.message).toBe('authentication failed');
  });

  it('config: needs tls.requestClientCert and a users file; dn mapping needs dnUsers', () => {
    const tls = { certFile: pki.server.certFile, keyFile: pki.server.keyFile };
    expect(() =>
      createBroker({
        tls,
        auth: { usersFile: '/tmp/u.json', clientCertificates: { enabled: true } },
      }),
    ).toThrow(/auth\.clientCertificates\.enabled needs tls\.requestClientCert/);
    const mutual = { ...tls, caFile: pki.caFile, requestClientCert: true };
    expect(() =>
      createBroker({ tls: mutual, auth: { clientCertificates: { enabled: true } } }),
    ).toThrow(/auth\.clientCertificates\.enabled needs auth\.usersFile/);
    expect(() =>
      createBroker({
        tls: mutual,
        auth: { usersFile: '/tmp/u.json', clientCertificates: { enabled: true, userFrom: 'dn' } },
      }),
    ).toThrow(/dnUsers is empty/);
    expect(() =>
      createBroker({
        tls: mutual,
        auth: { clientCertificates: { dnUsers: { 'not a dn': 'alice' } } },
      }),
    ).toThrow(/"not a dn" is not a DN/);
  });
});
