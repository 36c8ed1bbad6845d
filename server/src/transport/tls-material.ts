/**
 * TLS key material read from disk, checked before use, and the verified
 * client certificate of a TLS socket.
 *
 * The files are read whole and handed to node:tls as buffers, so a reload
 * (SIGHUP) swaps in exactly what was checked here. uWebSockets.js takes file
 * names instead; it reads the same files right after this check.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import type { PeerCertificate } from './connection.js';

/** Where the PEM files are. */
export interface TlsFiles {
  /** Server certificate (PEM), optionally followed by its intermediate chain. */
  certFile: string;
  /** Private key of the certificate (PEM, unencrypted). */
  keyFile: string;
  /** CA certificate(s) (PEM) that client certificates must chain to; undefined = none. */
  caFile?: string | undefined;
}

/** Certificate, key and CA as loaded and checked, with what the log line says about them. */
export interface TlsMaterial {
  readonly files: TlsFiles;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  /** Subject of the (leaf) server certificate, one line: 'CN=broker.example.com, O=Acme'. */
  readonly subject: string;
  /** Expiry of the server certificate. */
  readonly validTo: Date;
  /** SHA-256 fingerprint of the server certificate ('AB:CD:…'). */
  readonly fingerprint256: string;
}

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read TLS ${what} ${path}: ${(err as Error).message}`);
  }
}

/** 'C=DE\nCN=x' (node's multi-line form) → 'C=DE, CN=x'. */
function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

/**
 * Read and check certificate, key and CA. Throws an Error naming the file and
 * the problem (unreadable, not PEM, key does not match the certificate) so a
 * bad file is refused before it replaces a working one.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem('certificate file', files.certFile);
  const key = readPem('key file', files.keyFile);
  const ca = files.caFile ? readPem('CA file', files.caFile) : undefined;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(
      `TLS certificate file ${files.certFile} holds no PEM certificate: ${(err as Error).message}`,
    );
  }
  try {
    // Builds an OpenSSL context exactly as the listeners will: fails on an
    // unparsable key or CA, and on a key that does not belong to the certificate.
    createSecureContext(secureContextOptions({ cert, key, ca }));
  } catch (err) {
    throw new Error(
      `TLS key ${files.keyFile} / certificate ${files.certFile}${ca ? ` / CA ${files.caFile}` : ''} rejected: ${(err as Error).message}`,
    );
  }
  return {
    files: { ...files },
    cert,
    key,
    ca,
    subject: oneLine(leaf.subject),
    validTo: new Date(leaf.validTo),
    fingerprint256: leaf.fingerprint256,
  };
}

/** The node:tls options for this material. */
export function secureContextOptions(
  material: Pick<TlsMaterial, 'cert' | 'key' | 'ca'>,
): SecureContextOptions {
  const options: SecureContextOptions = { cert: material.cert, key: material.key };
  if (material.ca) options.ca = material.ca;
  return options;
}

/**
 * The client certificate of a TLS socket, when the handshake verified it
 * (`socket.authorized`); undefined for no certificate or an unverified one.
 */
export function verifiedPeerCertificate(socket: TLSSocket): PeerCertificate | undefined {
  if (!socket.authorized) return undefined;
  const x509 = socket.getPeerX509Certificate();
  if (!x509) return undefined;
  const detailed = socket.getPeerCertificate();
  // Several CN attributes make node report an array; the first is the usual reading.
  const cn: unknown = detailed?.subject?.CN;
  const subject = Array.isArray(cn) ? String(cn[0] ?? '') : typeof cn === 'string' ? cn : '';
  return { subject, distinguishedName: x509.subject, fingerprint256: x509.fingerprint256 };
}

/** Whether a socket is a TLS socket (tls.TLSSocket sets `encrypted`). */
export function isTlsSocket(socket: object): socket is TLSSocket {
  return (socket as { encrypted?: unknown }).encrypted === true;
}

/** TLS settings of a listener (node:tls, https + ws, or uWS SSLApp). */
export interface TlsServerOptions {
  material: TlsMaterial;
  /** Ask clients for a certificate, verified against material.ca. */
  requestClientCert: boolean;
  /** Refuse, during the handshake, clients without a valid certificate (needs requestClientCert). */
  rejectUnauthorized: boolean;
  /** A handshake failed (bad or missing client certificate, plain-text client, scanner). */
  onTlsError?: (error: Error, remoteAddress: string) => void;
}
