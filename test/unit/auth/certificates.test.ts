import { describe, expect, it } from 'vitest';
import {
  CertificateMapper,
  isDistinguishedName,
  normaliseDn,
} from '../../../server/src/auth/index.js';

describe('client certificate mapping', () => {
  it('normaliseDn reads RFC 4514, OpenSSL slash and one-per-line spellings alike', () => {
    const canonical = normaliseDn('C=DE\nO=Acme Corp\nCN=alice');
    expect(canonical).toBe('C=DE\nCN=alice\nO=Acme Corp');
    expect(normaliseDn('CN=alice, O=Acme Corp, C=DE')).toBe(canonical);
    expect(normaliseDn('/C=DE/O=Acme Corp/CN=alice')).toBe(canonical);
    expect(normaliseDn('cn = alice,o=Acme Corp,c=DE')).toBe(canonical);
    expect(normaliseDn('CN=Smith\\, John,O=Acme')).toBe('CN=Smith, John\nO=Acme');
    expect(normaliseDn('CN=alice,O=Other')).not.toBe(canonical);
  });

  it('isDistinguishedName wants at least one TYPE=value', () => {
    expect(isDistinguishedName('CN=x')).toBe(true);
    expect(isDistinguishedName('alice')).toBe(false);
    expect(isDistinguishedName('')).toBe(false);
  });

  it('maps by CN, or by DN through dnUsers', () => {
    const cert = { commonName: 'alice', distinguishedName: 'O=Acme\nCN=alice' };
    expect(new CertificateMapper({ enabled: true, userFrom: 'cn', dnUsers: {} }).userOf(cert)).toBe(
      'alice',
    );
    expect(
      new CertificateMapper({ enabled: true, userFrom: 'cn', dnUsers: {} }).userOf({
        commonName: '',
        distinguishedName: 'O=Acme',
      }),
    ).toBeNull();
    const byDn = new CertificateMapper({
      enabled: true,
      userFrom: 'dn',
      dnUsers: { 'CN=alice,O=Acme': 'svc-alice' },
    });
    expect(byDn.userOf(cert)).toBe('svc-alice');
    expect(byDn.userOf({ commonName: 'alice', distinguishedName: 'O=Evil\nCN=alice' })).toBeNull();
  });
});
