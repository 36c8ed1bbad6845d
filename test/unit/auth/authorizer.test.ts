import { describe, expect, it } from 'vitest';
import {
  ADMIN,
  ANONYMOUS,
  Authorizer,
  type Principal,
  READ,
  WRITE,
} from '../../../server/src/auth/index.js';
import { coversDestination } from '../../../server/src/session/handlers/access.js';

function user(name: string, groups: string[] = [], grants: Principal['grants'] = null): Principal {
  return { name, groups, anonymous: false, method: 'passcode', expiresAt: 0, grants };
}

const rules = [
  { match: '/queue/orders.>', read: ['ops', '@alice'], write: ['producers'], admin: ['admins'] },
  { match: '/topic/logs.>', read: ['*'] },
  { match: '/topic/logs.secret', read: ['ops'] },
  { match: '/topic/public', read: ['anonymous'], write: ['*'] },
];

function authorizer(defaultPermissions: ('read' | 'write' | 'admin')[] = []): Authorizer {
  return new Authorizer({ rules, defaultPermissions, matcher: coversDestination });
}

describe('Authorizer', () => {
  it('grants per rule to groups, @users and everyone', () => {
    const a = authorizer();
    expect(a.permissions(user('alice'), '/queue/orders.eu')).toBe(READ);
    expect(a.permissions(user('bob', ['ops']), '/queue/orders.eu')).toBe(READ);
    expect(a.permissions(user('carol', ['producers']), '/queue/orders.eu.new')).toBe(WRITE);
    expect(a.permissions(user('dave', ['admins', 'producers']), '/queue/orders.x')).toBe(
      WRITE | ADMIN,
    );
    expect(a.permissions(user('eve'), '/queue/orders.eu')).toBe(0);
    expect(a.permissions(user('eve'), '/topic/logs.app')).toBe(READ);
  });

  it('does not let a group named like a user stand in for the user', () => {
    expect(authorizer().can(user('mallory', ['@alice', 'alice']), 'read', '/queue/orders.eu')).toBe(
      false,
    );
  });

  it('adds up every matching rule', () => {
    const a = authorizer();
    expect(a.can(user('eve'), 'read', '/topic/logs.secret')).toBe(true); // from /topic/logs.> (everyone)
    expect(a.can(user('bob', ['ops']), 'read', '/topic/logs.secret')).toBe(true);
  });

  it('applies defaultPermissions where no rule matches: deny unless configured', () => {
    expect(authorizer().permissions(user('alice'), '/queue/other')).toBe(0);
    expect(authorizer(['read', 'write']).permissions(user('alice'), '/queue/other')).toBe(
      READ | WRITE,
    );
    // A matching rule overrides the default, even when it grants this user nothing.
    expect(authorizer(['read', 'write']).permissions(user('eve'), '/queue/orders.eu')).toBe(0);
  });

  it('puts anonymous connections in the group "anonymous", never in @user entries', () => {
    const a = authorizer();
    expect(a.permissions(ANONYMOUS, '/topic/public')).toBe(READ | WRITE);
    expect(a.permissions(ANONYMOUS, '/queue/orders.eu')).toBe(0);
  });

  it('matches wildcard subscriptions against the pattern itself', () => {
    const a = authorizer();
    const ops = user('bob', ['ops']);
    expect(a.can(ops, 'read', '/queue/orders.>')).toBe(true);
    expect(a.can(ops, 'read', '/queue/orders.*')).toBe(true);
    expect(a.can(ops, 'read', '/queue/orders.*.new')).toBe(true);
    // Wider than the rule: not granted.
    expect(a.can(ops, 'read', '/queue/>')).toBe(false);
    expect(a.can(ops, 'read', '/queue/*.eu')).toBe(false);
    expect(a.can(user('eve'), 'read', '/topic/logs.>')).toBe(true);
  });

  it('adds the grants a token carries', () => {
    const grants = { read: ['/topic/chat.>'], write: ['/topic/chat.room1'], admin: [] };
    const a = authorizer();
    const p = user('web', [], grants);
    expect(a.permissions(p, '/topic/chat.room1')).toBe(READ | WRITE);
    expect(a.permissions(p, '/topic/chat.room2')).toBe(READ);
    expect(a.permissions(p, '/topic/chat.>')).toBe(READ);
    expect(a.permissions(p, '/queue/orders.x')).toBe(0);
  });

  it('treats the pattern ">" as every destination', () => {
    const a = new Authorizer({
      rules: [{ match: '>', read: ['*'] }],
      defaultPermissions: [],
      matcher: coversDestination,
    });
    expect(a.permissions(user('x'), '/queue/a')).toBe(READ);
    expect(a.permissions(user('x'), '/exchange/amq.direct/k')).toBe(READ);
  });
});

describe('coversDestination', () => {
  it.each([
    ['/topic/logs.>', '/topic/logs.app', true],
    ['/topic/logs.>', '/topic/logs.app.web', true],
    ['/topic/logs.>', '/topic/logs.>', true],
    ['/topic/logs.>', '/topic/logs.*', true],
    ['/topic/logs.*', '/topic/logs.app', true],
    ['/topic/logs.*', '/topic/logs.*', true],
    ['/topic/logs.*', '/topic/logs.>', false],
    ['/topic/logs.*.x', '/topic/logs.>', false],
    ['/topic/logs.app', '/topic/logs.*', false],
    ['/topic/logs.>', '/topic/logs', false],
    ['/topic/logs.>', '/queue/logs.app', false],
    ['/topic/*.b', '/topic/>', false],
    ['/topic/>', '/topic/>', true],
    ['/exchange/x/>', '/exchange/x/>', true],
    ['/exchange/x/a.>', '/exchange/x/>', false],
  ])('%s covers %s: %s', (rule, destination, expected) => {
    expect(coversDestination(rule, destination)).toBe(expected);
  });
});
