import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTlsMaterial } from '../../../server/src/transport/tls-material.js';
import { HAVE_OPENSSL, makePki, type Pki } from '../../integration/security/tls-support.js';

describe.skipIf(!HAVE_OPENSSL)('loadTlsMaterial', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki?.remove());

  it('reads certificate, key and CA and describes the certificate', () => {
    const m = loadTlsMaterial({
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      caFile: pki.caFile,
    });
    expect(m.subject).toBe('O=Stompede Tests, CN=localhost');
    expect(m.fingerprint256).toBe(pki.server.fingerprint256);
    expect(m.validTo.getTime()).toBeGreaterThan(Date.now());
    expect(m.ca?.equals(pki.ca)).toBe(true);
    expect(m.cert.equals(pki.server.cert)).toBe(true);
  });

  it('refuses a key that does not belong to the certificate', () => {
    expect(() =>
      loadTlsMaterial({ certFile: pki.server.certFile, keyFile: pki.server2.keyFile }),
    ).toThrow(/rejected/);
  });

  it('names the file that cannot be read or is not PEM', () => {
    expect(() =>
      loadTlsMaterial({ certFile: join(pki.dir, 'missing.crt'), keyFile: pki.server.keyFile }),
    ).toThrow(/cannot read TLS certificate file .*missing\.crt/);
    const garbage = join(pki.dir, 'garbage.crt');
    writeFileSync(garbage, 'hello\n');
    expect(() => loadTlsMaterial({ certFile: garbage, keyFile: pki.server.keyFile })).toThrow(
      /garbage\.crt holds no PEM certificate/,
    );
    expect(() =>
      loadTlsMaterial({
        certFile: pki.server.certFile,
        keyFile: pki.server.keyFile,
        caFile: join(pki.dir, 'nope-ca.crt'),
      }),
    ).toThrow(/cannot read TLS CA file/);
  });
});
