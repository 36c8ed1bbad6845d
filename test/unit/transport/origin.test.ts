import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../server/src/config.js';
import {
  canonicalOrigin,
  OriginPolicy,
  originPatternError,
  refusalBody,
} from '../../../server/src/transport/origin.js';

describe('canonicalOrigin', () => {
  it('lower-cases and drops default ports', () => {
    expect(canonicalOrigin('HTTPS://App.Example.COM:443')).toBe('https://app.example.com');
    expect(canonicalOrigin('http://example.com:80')).toBe('http://example.com');
    expect(canonicalOrigin('http://example.com:8080')).toBe('http://example.com:8080');
    expect(canonicalOrigin('http://[::1]:8080')).toBe('http://[::1]:8080');
    expect(canonicalOrigin('https://example.com/')).toBe('https://example.com');
  });

  it('rejects what is not an origin', () => {
    expect(canonicalOrigin('')).toBeUndefined();
    expect(canonicalOrigin('example.com')).toBeUndefined();
    expect(canonicalOrigin('https://example.com/path')).toBeUndefined();
    expect(canonicalOrigin('https://example.com?x=1')).toBeUndefined();
    expect(canonicalOrigin('https://user@example.com')).toBeUndefined();
  });
});

describe('OriginPolicy', () => {
  const policy = new OriginPolicy({
    allowed: [
      'https://app.example.com',
      'https://*.example.org',
      'http://*.dev.test:8080',
      'chrome-extension://abcdef',
    ],
    allowMissing: true,
  });

  it('allows the same origin as the Host header, with the listener scheme', () => {
    expect(policy.check('http://broker.local:61614', 'broker.local:61614', false)).toBeNull();
    expect(policy.check('https://broker.local', 'broker.local:443', true)).toBeNull();
    expect(policy.check('http://BROKER.local:61614', 'broker.local:61614', false)).toBeNull();
    expect(policy.check('https://broker.local:61614', 'broker.local:61614', false)).toBe('origin');
    expect(policy.check('http://broker.local:61614', 'broker.local:61614', true)).toBe('origin');
    expect(policy.check('http://broker.local:1', 'broker.local:61614', false)).toBe('origin');
    // No Host header: nothing is same-origin.
    expect(policy.check('http://broker.local:61614', undefined, false)).toBe('origin');
    // A Host header that is not a host does not make anything same-origin.
    expect(policy.check('http://a', 'a/evil', false)).toBe('origin');
  });

  it('matches exact entries after canonicalisation', () => {
    expect(policy.check('https://app.example.com', 'x', false)).toBeNull();
    expect(policy.check('https://app.example.com:443', 'x', false)).toBeNull();
    expect(policy.check('https://app.example.com:8443', 'x', false)).toBe('origin');
    expect(policy.check('http://app.example.com', 'x', false)).toBe('origin');
    expect(policy.check('chrome-extension://abcdef', 'x', false)).toBeNull();
  });

  it('matches leading wildcards on subdomains only, with scheme and port', () => {
    expect(policy.check('https://a.example.org', 'x', false)).toBeNull();
    expect(policy.check('https://a.b.example.org', 'x', false)).toBeNull();
    expect(policy.check('https://example.org', 'x', false)).toBe('origin');
    expect(policy.check('https://badexample.org', 'x', false)).toBe('origin');
    expect(policy.check('http://a.example.org', 'x', false)).toBe('origin');
    expect(policy.check('https://a.example.org:444', 'x', false)).toBe('origin');
    expect(policy.check('http://x.dev.test:8080', 'x', false)).toBeNull();
    expect(policy.check('http://x.dev.test', 'x', false)).toBe('origin');
  });

  it('treats a missing or empty Origin per allowMissing, and garbage as foreign', () => {
    expect(policy.check(undefined, 'x', false)).toBeNull();
    expect(policy.check('', 'x', false)).toBeNull();
    const strict = new OriginPolicy({ allowed: [], allowMissing: false });
    expect(strict.check(undefined, 'x', false)).toBe('missing-origin');
    expect(strict.check('  ', 'x', false)).toBe('missing-origin');
    expect(policy.check('not an origin', 'x', false)).toBe('origin');
    expect(policy.check('null', 'x', false)).toBe('origin');
  });

  it("supports '*' and 'null'", () => {
    const any = new OriginPolicy({ allowed: ['*'], allowMissing: false });
    expect(any.check('https://whatever.example', 'x', false)).toBeNull();
    expect(any.check(undefined, 'x', false)).toBe('missing-origin');
    const opaque = new OriginPolicy({ allowed: ['null'], allowMissing: true });
    expect(opaque.check('null', 'x', false)).toBeNull();
    expect(opaque.check('https://whatever.example', 'x', false)).toBe('origin');
  });

  it('rejects unusable patterns', () => {
    expect(originPatternError('https://*.example.com')).toBeUndefined();
    expect(originPatternError('https://app.*.example.com')).toMatch(/wildcard/);
    expect(originPatternError('*.example.com')).toMatch(/wildcard/);
    expect(originPatternError('https://example.com/app')).toMatch(/origin/);
    expect(() => new OriginPolicy({ allowed: ['example.com'], allowMissing: true })).toThrow(
      /example\.com/,
    );
  });

  it('writes short refusal bodies', () => {
    expect(refusalBody('origin', 'https://evil.example')).toContain('"https://evil.example"');
    expect(refusalBody('missing-origin', '')).toMatch(/without an Origin header/);
  });
});

describe('config: origins and tls', () => {
  it('defaults: Origin same-origin + missing allowed; TLS off with stomp+ssl on 61612 once on', () => {
    const config = resolveConfig();
    expect(config.origins).toEqual({ allowed: [], allowMissing: true });
    expect(config.tls).toEqual({
      certFile: null,
      keyFile: null,
      caFile: null,
      requestClientCert: false,
      rejectUnauthorized: false,
      tcpPort: 61612,
      wssPort: null,
    });
  });

  it('validates origins', () => {
    expect(
      resolveConfig({ origins: { allowed: ['https://*.example.com', '*', 'null'] } }).origins
        .allowed,
    ).toHaveLength(3);
    expect(() => resolveConfig({ origins: { allowed: ['example.com'] } })).toThrow(
      /origins\.allowed\[0\]/,
    );
    expect(() => resolveConfig({ origins: { allowed: ['https://a.*.example.com'] } })).toThrow(
      /origins\.allowed\[0\]/,
    );
    expect(() => resolveConfig({ origins: { allowMissing: 'yes' as unknown as boolean } })).toThrow(
      /origins\.allowMissing/,
    );
    expect(() => resolveConfig({ origins: { nope: 1 } as never })).toThrow(/origins\.nope/);
  });

  it('validates tls', () => {
    expect(() => resolveConfig({ tls: { certFile: '/c.pem' } })).toThrow(/go together/);
    expect(() => resolveConfig({ tls: { wssPort: 8443 } })).toThrow(/tls\.wssPort needs/);
    expect(() => resolveConfig({ tls: { certFile: '/c', keyFile: '/k', tcpPort: 70000 } })).toThrow(
      /tls\.tcpPort/,
    );
    expect(() =>
      resolveConfig({ tls: { certFile: '/c', keyFile: '/k', requestClientCert: true } }),
    ).toThrow(/caFile/);
    expect(() => resolveConfig({ tls: { certFile: '', keyFile: '/k' } })).toThrow(/tls\.certFile/);
    const on = resolveConfig({
      tls: { certFile: '/c', keyFile: '/k', caFile: '/ca', requestClientCert: true, wssPort: 0 },
    });
    expect(on.tls).toMatchObject({ certFile: '/c', tcpPort: 61612, wssPort: 0 });
  });
});
