import { describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULT_CONFIG, resolveConfig } from '../../../server/src/config.js';

const SECRET = 'x'.repeat(32);

describe('auth config', () => {
  it('defaults to no logins, automatic anonymous access, no rules, deny by default', () => {
    expect(DEFAULT_CONFIG.host).toBe('127.0.0.1');
    expect(DEFAULT_CONFIG.auth).toMatchObject({
      usersFile: null,
      allowAnonymous: null,
      rules: [],
      defaultPermissions: [],
      jwt: { secret: null, jwksFile: null, usernameClaim: 'sub', groupsClaim: 'groups' },
    });
  });

  it('accepts a full auth section', () => {
    const config = resolveConfig({
      auth: {
        usersFile: 'users.json',
        allowAnonymous: false,
        rules: [{ match: '/queue/orders.>', read: ['ops', '@alice'], write: ['*'], admin: [] }],
        defaultPermissions: ['read'],
        jwt: { secret: SECRET, audience: ['stompede'], algorithms: ['HS256'] },
        throttle: { baseMs: 100 },
      },
    });
    expect(config.auth.jwt.audience).toEqual(['stompede']);
    expect(config.auth.throttle).toMatchObject({ baseMs: 100, maxMs: 5000 });
  });

  it.each([
    [{ usersFile: '' }, /auth.usersFile/],
    [{ allowAnonymous: 'yes' }, /allowAnonymous/],
    [{ allowAnonymous: false }, /nobody could connect/],
    [{ rules: [{ match: 'orders', read: [] }] }, /auth.rules\[0\].match/],
    [{ rules: [{ match: '/queue/a', rad: ['x'] }] }, /unknown config key 'auth.rules\[0\].rad'/],
    [{ rules: [{ match: '/queue/a', read: 'ops' }] }, /auth.rules\[0\].read/],
    [{ rules: [{ match: '/queue/a', read: ['a b'] }] }, /auth.rules\[0\].read/],
    [{ defaultPermissions: ['all'] }, /defaultPermissions/],
    [{ jwt: { secret: 'short' } }, /at least 32 bytes/],
    [{ jwt: { secret: SECRET, algorithms: ['none'] } }, /algorithms/],
    [{ jwt: { secret: SECRET, algorithms: ['RS256'] } }, /needs auth.jwt.jwksFile/],
    [{ jwt: { secret: SECRET, audience: 'stompede' } }, /audience/],
    [{ jwt: { secrett: SECRET } }, /unknown config key 'auth.jwt.secrett'/],
    [{ throttle: { halfLifeMs: 0 } }, /halfLifeMs/],
  ])('refuses %j', (auth, message) => {
    expect(() => resolveConfig({ auth } as Parameters<typeof resolveConfig>[0])).toThrow(message);
  });

  it('reads the users file and the JWT secret from the environment', () => {
    expect(configFromEnv({ STOMPEDE_USERS_FILE: 'u.json', STOMPEDE_JWT_SECRET: SECRET })).toEqual({
      auth: { usersFile: 'u.json', jwt: { secret: SECRET } },
    });
  });
});
