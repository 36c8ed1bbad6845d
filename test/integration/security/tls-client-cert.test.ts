/**
 * Client certificates (mutual TLS) on stomp+ssl:// and wss://: refused at the
 * TLS level under rejectUnauthorized; a verified certificate's CN shows on
 * the connection (broker.listConnections()) for the auth layer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker } from '../../../server/src/index.js';
import type { RawStompClient } from '../../helpers/raw-client.js';
import { HAVE_OPENSSL, makePki, type Pki, startTlsBroker } from './tls-support.js';

/**
 * A client the server refuses during the handshake. Under TLS 1.3 the client
 * may finish its side of the handshake before the server has looked at its
 * certificate, so "refused" is: no CONNECTED, and the connection closes.
 */
async function expectRefused(client: RawStompClient & { opened: Promise<void> }): Promise<void> {
  const opened = await client.opened.then(
    () => true,
    () => false,
  );
  if (opened) {
    try {
      client.sendRaw('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0');
    } catch {
      // already closed
    }
  }
  await client.expectClosed();
  expect(client.history.map((f) => f.command)).not.toContain('CONNECTED');
}

describe.skipIf(!HAVE_OPENSSL)('TLS client certificates', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki?.remove());

  const mutual = () => ({
    caFile: pki.caFile,
    requestClientCert: true,
    rejectUnauthorized: true,
  });

  it('stomp+ssl:// with rejectUnauthorized: no certificate or a foreign one is refused; a CA-signed one connects and its CN is visible', async () => {
    const b = await startTlsBroker(pki, { tls: mutual() });
    await expectRefused(b.tls(undefined, 'no-cert'));
    await expectRefused(b.tls({ cert: pki.rogue.cert, key: pki.rogue.key }, 'rogue'));
    expect(b.broker.connectionCount).toBe(0);
    expect(
      b.broker.counters.get('stompede_tls_handshake_failures_total', { listener: 'tls' }),
    ).toBeGreaterThanOrEqual(1);

    const alice = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'alice');
    await alice.opened;
    await alice.connect();
    const [info] = b.broker.listConnections();
    expect(info).toMatchObject({
      transport: 'tcp',
      secure: true,
      peerCertificate: {
        subject: 'alice',
        distinguishedName: expect.stringContaining('CN=alice'),
        fingerprint256: pki.alice.fingerprint256,
      },
    });
  });

  for (const engine of ['uws', 'ws'] as const) {
    it(`wss:// (configured engine ${engine}) with rejectUnauthorized: refused without a certificate, CN visible with one`, async () => {
      const b = await startTlsBroker(pki, { wsTransport: engine, tls: mutual() });
      // uWS cannot expose client certificates: wss is served by ws then.
      expect(b.addresses.wss?.transport).toBe('ws');
      const anonymous = b.wss({}, 'no-cert');
      await expectRefused(anonymous);
      expect(anonymous.refusedStatus).toBeUndefined();
      await expectRefused(b.wss({ cert: pki.rogue.cert, key: pki.rogue.key }, 'rogue'));
      expect(b.broker.connectionCount).toBe(0);

      const alice = b.wss({ cert: pki.alice.cert, key: pki.alice.key }, 'alice');
      await alice.opened;
      await alice.connect();
      const [info] = b.broker.listConnections();
      expect(info).toMatchObject({
        transport: 'ws',
        secure: true,
        peerCertificate: { subject: 'alice', fingerprint256: pki.alice.fingerprint256 },
      });
    });
  }

  it('without rejectUnauthorized: clients without a certificate connect anonymously; only verified certificates are reported', async () => {
    const b = await startTlsBroker(pki, {
      tls: { caFile: pki.caFile, requestClientCert: true, rejectUnauthorized: false },
    });
    const anonymous = b.tls(undefined, 'anonymous');
    await anonymous.opened;
    await anonymous.connect();
    const rogue = b.tls({ cert: pki.rogue.cert, key: pki.rogue.key }, 'rogue');
    await rogue.opened;
    await rogue.connect();
    const alice = b.tls({ cert: pki.alice.cert, key: pki.alice.key }, 'alice');
    await alice.opened;
    await alice.connect();
    const subjects = b.broker
      .listConnections()
      .map((c) => c.peerCertificate?.subject ?? null)
      .sort();
    expect(subjects).toEqual(['alice', null, null]);

    const web = b.wss({ cert: pki.alice.cert, key: pki.alice.key }, 'alice-wss');
    await web.opened;
    await web.connect();
    const wss = b.broker.listConnections().find((c) => c.transport === 'ws');
    expect(wss?.peerCertificate?.subject).toBe('alice');
  });

  it('config: requestClientCert needs caFile; rejectUnauthorized needs requestClientCert', () => {
    expect(() =>
      createBroker({
        tls: {
          certFile: pki.server.certFile,
          keyFile: pki.server.keyFile,
          requestClientCert: true,
        },
      }),
    ).toThrow(/tls\.requestClientCert needs tls\.caFile/);
    expect(() =>
      createBroker({
        tls: {
          certFile: pki.server.certFile,
          keyFile: pki.server.keyFile,
          caFile: pki.caFile,
          rejectUnauthorized: true,
        },
      }),
    ).toThrow(/tls\.rejectUnauthorized needs tls\.requestClientCert/);
  });
});
