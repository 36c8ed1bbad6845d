import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT,
  formatHash,
  hashPasscode,
  parseHash,
  verifyPasscode,
} from '../../../server/src/auth/index.js';

/** Cheap parameters keep the suite fast; the format and the checks are the same. */
const FAST = { N: 1024, r: 8, p: 1 };

describe('scrypt passcodes', () => {
  it('stores N, r and p with a per-hash salt, and verifies the right passcode only', async () => {
    const stored = await hashPasscode('correct horse', FAST);
    expect(stored).toMatch(/^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    const parsed = parseHash(stored);
    expect(parsed.params).toEqual(FAST);
    expect(parsed.salt.length).toBe(16);
    expect(parsed.hash.length).toBe(32);
    expect(await verifyPasscode('correct horse', parsed)).toBe(true);
    expect(await verifyPasscode('correct horse ', parsed)).toBe(false);
    expect(await verifyPasscode('', parsed)).toBe(false);
  });

  it('salts every hash afresh', async () => {
    const a = await hashPasscode('same', FAST);
    const b = await hashPasscode('same', FAST);
    expect(a).not.toBe(b);
    expect(await verifyPasscode('same', parseHash(b))).toBe(true);
  });

  it('normalises Unicode, so the same passcode typed either way matches', async () => {
    const stored = parseHash(await hashPasscode('caf\u00e9', FAST));
    expect(await verifyPasscode('cafe\u0301', stored)).toBe(true);
  });

  it('defaults to N=2^15, r=8, p=1', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 32768, r: 8, p: 1 });
    const stored = await hashPasscode('x');
    expect(stored.startsWith('scrypt$N=32768,r=8,p=1$')).toBe(true);
  });

  it('round-trips through formatHash', async () => {
    const stored = await hashPasscode('pw', FAST);
    expect(formatHash(parseHash(stored))).toBe(stored);
  });

  it.each([
    ['not-a-hash', /not a scrypt hash/],
    ['scrypt$N=1000,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', /power of two/],
    ['scrypt$N=4194304,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', /power of two/],
    ['scrypt$N=1024,r=99,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', /r must be/],
    ['scrypt$N=1024,r=8,p=99$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', /p must be/],
    ['scrypt$n=1024$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', /N=…,r=…,p=…/],
    ['scrypt$N=1024,r=8,p=1$c2E=$aGFzaGhhc2hoYXNoaGFzaA==', /salt is too short/],
    ['scrypt$N=1024,r=8,p=1$c2FsdHNhbHQ=$aGFzaA==', /unusable length/],
  ])('refuses a malformed or oversized stored hash: %s', (stored, message) => {
    expect(() => parseHash(stored)).toThrow(message);
  });
});
