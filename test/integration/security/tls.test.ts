/**
 * stomp+ssl:// and wss:// listeners, for both WebSocket engines, and
 * certificate reload (what SIGHUP does in `stompede serve`).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker } from '../../../server/src/index.js';
import { closeWithTimeout } from '../../helpers/broker.js';
import { uniqueName } from '../../helpers/raw-client.js';
import {
  HAVE_OPENSSL,
  handshakeFingerprint,
  makePki,
  type Pki,
  startTlsBroker,
} from './tls-support.js';

const ENGINES = ['uws', 'ws'] as const;

function httpsGet(
  port: number,
  path: string,
  ca: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, ca, servername: 'localhost', method: 'GET' },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!HAVE_OPENSSL)('TLS listeners', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki?.remove());

  it('are off by default, and off when only ports are configured', async () => {
    const broker = createBroker({
      host: '127.0.0.1',
      tcpPort: 0,
      wsPort: null,
      store: 'memory',
      logLevel: 'silent',
    });
    try {
      const addresses = await broker.listen();
      expect(addresses.tls).toBeNull();
      expect(addresses.wss).toBeNull();
      expect(broker.tlsCertificate).toBeNull();
      const reload = await broker.reloadTls();
      expect(reload.ok).toBe(false);
    } finally {
      await closeWithTimeout(broker);
    }
  });

  it('stomp+ssl:// speaks STOMP over TLS with the configured certificate', async () => {
    const b = await startTlsBroker(pki);
    expect(b.addresses.tls).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
    const client = b.tls();
    await client.opened;
    expect(client.serverFingerprint()).toBe(pki.server.fingerprint256);
    const connected = await client.connect();
    expect(connected.headers.version).toBe('1.2');
    const dest = `/queue/${uniqueName('tls')}`;
    await client.subscribe(dest, 's1');
    await client.publish(dest, 'over tls');
    const [message] = await client.messages(1);
    expect(message!.bodyText).toBe('over tls');
    const infos = b.broker.listConnections();
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ transport: 'tcp', secure: true, peerCertificate: null });
    expect(b.broker.tlsCertificate).toMatchObject({
      fingerprint256: pki.server.fingerprint256,
      subject: expect.stringContaining('CN=localhost'),
    });
  });

  it('a plain-text client on the TLS port gets no STOMP and is cut off', async () => {
    const b = await startTlsBroker(pki);
    const net = await import('node:net');
    const socket = net.connect({ host: '127.0.0.1', port: b.addresses.tls!.port });
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('CONNECT\naccept-version:1.2\n\n\0');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Buffer.concat(received).toString('latin1')).not.toContain('CONNECTED');
    expect(b.broker.connectionCount).toBe(0);
  });

  for (const engine of ENGINES) {
    describe(`wss:// (${engine} engine)`, () => {
      it('speaks STOMP over secure WebSocket and reaches stomp+ssl:// clients', async () => {
        const b = await startTlsBroker(pki, { wsTransport: engine });
        expect(b.addresses.wss).toMatchObject({ host: '127.0.0.1', transport: engine });
        const web = b.wss({}, `wss(${engine})`);
        await web.opened;
        await web.connect();
        const raw = b.tls(undefined, 'tls');
        await raw.opened;
        await raw.connect();
        const dest = `/topic/${uniqueName('wss')}`;
        await web.subscribe(dest, 'w');
        await raw.publish(dest, 'tls to wss');
        expect((await web.messages(1))[0]!.bodyText).toBe('tls to wss');

        const kinds = b.broker
          .listConnections()
          .map((c) => `${c.transport}:${c.secure}`)
          .sort();
        expect(kinds).toEqual(['tcp:true', engine === 'uws' ? 'uws:true' : 'ws:true'].sort());
        expect(await handshakeFingerprint(b.addresses.wss!.port, pki.ca)).toBe(
          pki.server.fingerprint256,
        );
      });

      it('serves the pages over https on the wss port', async () => {
        const b = await startTlsBroker(pki, { wsTransport: engine });
        const res = await httpsGet(b.addresses.wss!.port, '/', pki.ca);
        expect(res.status).toBe(200);
      });

      it('reloadTls() swaps the certificate for new connections and keeps existing ones', async () => {
        const b = await startTlsBroker(pki, { wsTransport: engine });
        const tlsPort = b.addresses.tls!.port;
        const wssPort = b.addresses.wss!.port;
        const oldTls = b.tls(undefined, 'old-tls');
        await oldTls.opened;
        await oldTls.connect();
        const oldWss = b.wss({}, 'old-wss');
        await oldWss.opened;
        await oldWss.connect();
        const dest = `/topic/${uniqueName('reload')}`;
        await oldTls.subscribe(dest, 't');
        await oldWss.subscribe(dest, 'w');

        // Renewal: new files in place, then the SIGHUP-equivalent.
        copyFileSync(pki.server2.certFile, b.certFile);
        copyFileSync(pki.server2.keyFile, b.keyFile);
        const result = await b.broker.reloadTls();
        expect(result).toMatchObject({
          ok: true,
          fingerprint256: pki.server2.fingerprint256,
          subject: expect.stringContaining('CN=localhost-renewed'),
        });
        expect(b.broker.tlsCertificate?.fingerprint256).toBe(pki.server2.fingerprint256);

        expect(await handshakeFingerprint(tlsPort, pki.ca)).toBe(pki.server2.fingerprint256);
        expect(await handshakeFingerprint(wssPort, pki.ca)).toBe(pki.server2.fingerprint256);
        const fresh = b.tls(undefined, 'new-tls');
        await fresh.opened;
        expect(fresh.serverFingerprint()).toBe(pki.server2.fingerprint256);
        await fresh.connect();
        const freshWss = b.wss({}, 'new-wss');
        await freshWss.opened;
        await freshWss.connect();

        // The connections made before the reload still work, both ways.
        expect(oldTls.isClosed).toBe(false);
        expect(oldWss.isClosed).toBe(false);
        expect(oldTls.serverFingerprint()).toBe(pki.server.fingerprint256);
        await fresh.publish(dest, 'after reload');
        expect((await oldTls.messages(1))[0]!.bodyText).toBe('after reload');
        expect((await oldWss.messages(1))[0]!.bodyText).toBe('after reload');
        await oldWss.publish(dest, 'from an old wss');
        expect((await oldTls.messages(1))[0]!.bodyText).toBe('from an old wss');
        expect((await oldWss.messages(1))[0]!.bodyText).toBe('from an old wss');

        // And a second reload works too (the uws engine re-creates its app each time).
        copyFileSync(pki.server.certFile, b.certFile);
        copyFileSync(pki.server.keyFile, b.keyFile);
        expect((await b.broker.reloadTls()).ok).toBe(true);
        expect(await handshakeFingerprint(wssPort, pki.ca)).toBe(pki.server.fingerprint256);
        await freshWss.publish(dest, 'after two reloads');
        expect((await oldWss.messages(1))[0]!.bodyText).toBe('after two reloads');
      });

      it('a bad new certificate keeps the old one serving', async () => {
        const b = await startTlsBroker(pki, { wsTransport: engine });
        // A key that does not belong to the certificate.
        copyFileSync(pki.server2.certFile, b.certFile);
        const mismatched = await b.broker.reloadTls();
        expect(mismatched.ok).toBe(false);
        // Not PEM at all.
        writeFileSync(b.certFile, 'not a certificate\n');
        copyFileSync(pki.server2.keyFile, b.keyFile);
        const garbage = await b.broker.reloadTls();
        expect(garbage).toMatchObject({ ok: false, error: expect.stringContaining(b.certFile) });

        expect(b.broker.tlsCertificate?.fingerprint256).toBe(pki.server.fingerprint256);
        expect(await handshakeFingerprint(b.addresses.tls!.port, pki.ca)).toBe(
          pki.server.fingerprint256,
        );
        expect(await handshakeFingerprint(b.addresses.wss!.port, pki.ca)).toBe(
          pki.server.fingerprint256,
        );
        const client = b.wss();
        await client.opened;
        await client.connect();
      });
    });
  }

  it('listen() fails with a readable error when the certificate file is missing', async () => {
    const broker = createBroker({
      host: '127.0.0.1',
      tcpPort: 0,
      wsPort: null,
      store: 'memory',
      logLevel: 'silent',
      tls: { certFile: `${pki.dir}/nope.crt`, keyFile: pki.server.keyFile, tcpPort: 0 },
    });
    try {
      await expect(broker.listen()).rejects.toThrow(/nope\.crt/);
    } finally {
      await closeWithTimeout(broker);
    }
  });
});
