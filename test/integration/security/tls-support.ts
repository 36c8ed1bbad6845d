/**
 * Test PKI made with the `openssl` command (node:crypto cannot issue X.509
 * certificates), and raw STOMP clients over TLS and secure WebSocket.
 *
 * Keys are EC P-256: generating them takes milliseconds, where RSA takes
 * tenths of a second each.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { createBroker } from '../../../server/src/index.js';
import { closeWithTimeout } from '../../helpers/broker.js';
import { RawStompClient, STOMP_WS_PROTOCOLS } from '../../helpers/raw-client.js';

/** Whether the openssl command is there (tests that need it skip without it). */
export const HAVE_OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

export interface KeyPair {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint as node prints it ('AB:CD:…'). */
  fingerprint256: string;
}

export interface Pki {
  dir: string;
  /** The CA that signs the server and client certificates. */
  caFile: string;
  ca: Buffer;
  /** Server certificate for localhost / 127.0.0.1. */
  server: KeyPair;
  /** A second server certificate (for reload tests), same names, different key. */
  server2: KeyPair;
  /** Client certificate CN=alice, signed by the CA. */
  alice: KeyPair;
  /** Self-signed client certificate CN=mallory (not from the CA). */
  rogue: KeyPair;
  /** Make another certificate signed by the CA. */
  issue(name: string, subject: string, extensions?: string): KeyPair;
  /** Delete the directory. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function fingerprintOf(cert: Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}

function pair(dir: string, name: string): KeyPair {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const cert = readFileSync(certFile);
  return {
    certFile,
    keyFile,
    cert,
    key: readFileSync(keyFile),
    fingerprint256: fingerprintOf(cert),
  };
}

const SERVER_EXT = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
const CLIENT_EXT = 'extendedKeyUsage=clientAuth\n';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'stompede-tls-'));
  openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=Stompede Test CA',
    ],
    dir,
  );
  const issue = (name: string, subject: string, extensions = SERVER_EXT): KeyPair => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
    return pair(dir, name);
  };
  const server = issue('server', '/O=Stompede Tests/CN=localhost');
  const server2 = issue('server2', '/O=Stompede Tests/CN=localhost-renewed');
  const alice = issue('alice', '/O=Stompede Tests/CN=alice', CLIENT_EXT);
  openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'rogue.key',
      '-out',
      'rogue.crt',
      '-days',
      '2',
      '-subj',
      '/CN=mallory',
    ],
    dir,
  );
  const caFile = join(dir, 'ca.crt');
  return {
    dir,
    caFile,
    ca: readFileSync(caFile),
    server,
    server2,
    alice,
    rogue: pair(dir, 'rogue'),
    issue,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ClientCert {
  cert: Buffer;
  key: Buffer;
}

/** Raw STOMP over TLS (stomp+ssl://). */
export class TlsStompClient extends RawStompClient {
  readonly socket: tls.TLSSocket;
  /** Resolves after the TLS handshake (as the client sees it); rejects on a handshake error. */
  readonly opened: Promise<void>;

  constructor(port: number, ca: Buffer, clientCert?: ClientCert, label = 'tls') {
    super(label);
    this.socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca,
      ...(clientCert ?? {}),
    });
    this.socket.setNoDelay(true);
    this.opened = new Promise<void>((resolve, reject) => {
      this.socket.once('secureConnect', () => resolve());
      this.socket.once('error', reject);
    });
    this.opened.catch(() => {});
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.onClose());
  }

  /** SHA-256 fingerprint of the certificate the server presented. */
  serverFingerprint(): string {
    return this.socket.getPeerX509Certificate()?.fingerprint256 ?? '';
  }

  sendRaw(data: string | Buffer): void {
    if (this.socket.destroyed) throw new Error(`[${this.label}] cannot send: socket destroyed`);
    this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Raw STOMP over secure WebSocket (wss://), trusting `ca`. */
export class WssStompClient extends RawStompClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  /** HTTP status when the upgrade was answered with a plain response. */
  refusedStatus: number | undefined;

  constructor(
    url: string,
    options: { ca: Buffer; origin?: string } & Partial<ClientCert>,
    label = 'wss',
  ) {
    super(label);
    this.ws = new WebSocket(url, STOMP_WS_PROTOCOLS, {
      // The test certificate names 127.0.0.1 too, so no servername is needed.
      ca: options.ca,
      ...(options.cert ? { cert: options.cert, key: options.key } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
    });
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => {
        this.refusedStatus = res.statusCode;
        reject(new Error(`unexpected HTTP response ${res.statusCode} for ${url}`));
        res.resume();
        this.ws.terminate();
      });
    });
    this.opened.catch(() => {});
    this.ws.on('message', (data: WebSocket.RawData) => {
      const buf = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? Buffer.from(data)
          : data;
      this.onData(buf);
    });
    this.ws.on('error', () => {});
    this.ws.on('close', () => this.onClose());
  }

  sendRaw(data: string | Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      throw new Error(`[${this.label}] cannot send: WebSocket readyState=${this.ws.readyState}`);
    }
    this.ws.send(typeof data === 'string' ? data : data.toString('utf8'));
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/** The certificate fingerprint a fresh TLS handshake with host:port sees (then hangs up). */
export function handshakeFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      const fp = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.destroy();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

export type Broker = ReturnType<typeof createBroker>;
export type BrokerConfigInput = NonNullable<Parameters<typeof createBroker>[0]>;

export interface TlsBroker {
  broker: Broker;
  addresses: Awaited<ReturnType<Broker['listen']>>;
  /** The certificate/key files the broker reads (copies: tests overwrite them to test reloads). */
  certFile: string;
  keyFile: string;
  /** Raw STOMP over TLS to the broker's stomp+ssl port, handshake done; destroyed at test end. */
  tls(clientCert?: ClientCert, label?: string): TlsStompClient;
  /** Raw STOMP over wss to the broker; destroyed at test end. */
  wss(
    options?: { origin?: string; path?: string } & Partial<ClientCert>,
    label?: string,
  ): WssStompClient;
}

/**
 * A broker with TLS on (stomp+ssl and wss on ephemeral ports, memory store),
 * closed with everything opened through it when the test finishes.
 */
export async function startTlsBroker(
  pki: Pki,
  overrides: Omit<BrokerConfigInput, 'tls'> & { tls?: BrokerConfigInput['tls'] } = {},
): Promise<TlsBroker> {
  const live = mkdtempSync(join(pki.dir, 'live-'));
  const certFile = join(live, 'server.crt');
  const keyFile = join(live, 'server.key');
  copyFileSync(pki.server.certFile, certFile);
  copyFileSync(pki.server.keyFile, keyFile);
  const broker = createBroker({
    host: '127.0.0.1',
    tcpPort: 0,
    wsPort: 0,
    wsTransport: 'ws',
    store: 'memory',
    logLevel: 'silent',
    ...overrides,
    tls: { certFile, keyFile, tcpPort: 0, wssPort: 0, ...overrides.tls },
  });
  const clients: RawStompClient[] = [];
  onTestFinished(async () => {
    for (const c of clients) c.destroy();
    await closeWithTimeout(broker);
  });
  const addresses = await broker.listen();
  return {
    broker,
    addresses,
    certFile,
    keyFile,
    tls(clientCert, label) {
      const c = new TlsStompClient(addresses.tls!.port, pki.ca, clientCert, label);
      clients.push(c);
      return c;
    },
    wss(options = {}, label) {
      const { path = '/stomp', ...rest } = options;
      const c = new WssStompClient(
        `wss://127.0.0.1:${addresses.wss!.port}${path}`,
        { ca: pki.ca, ...rest },
        label,
      );
      clients.push(c);
      return c;
    },
  };
}
