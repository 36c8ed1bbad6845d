import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, parseHash, parseUsers, verifyPasscode } from '../../../server/src/auth/index.js';
import { ReloadingFile } from '../../../server/src/auth/reloading-file.js';

const FAST = { N: 1024, r: 8, p: 1 };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stompede-users-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('users file', () => {
  it('addUser creates the file (mode 0600) with a verifiable hash and the groups', async () => {
    const file = join(dir, 'nested', 'users.json');
    expect(
      await addUser(file, 'alice', 's3cret', { groups: ['ops', 'ops', 'admins'], params: FAST }),
    ).toBe('added');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      users: Record<string, { passcode: string; groups: string[] }>;
    };
    expect(json.users.alice!.groups).toEqual(['ops', 'admins']);
    expect(json.users.alice!.passcode).not.toContain('s3cret');
    expect(await verifyPasscode('s3cret', parseHash(json.users.alice!.passcode))).toBe(true);
  });

  it('adds to an existing file, refuses a duplicate, replaces on request', async () => {
    const file = join(dir, 'users.json');
    await addUser(file, 'alice', 'one', { params: FAST });
    await addUser(file, 'bob', 'two', { groups: ['producers'], params: FAST });
    await expect(addUser(file, 'alice', 'three', { params: FAST })).rejects.toThrow(
      /already exists/,
    );
    expect(await addUser(file, 'alice', 'three', { replace: true, params: FAST })).toBe('replaced');
    const users = parseUsers(readFileSync(file, 'utf8'), file);
    expect([...users.keys()].sort()).toEqual(['alice', 'bob']);
    expect(await verifyPasscode('three', users.get('alice')!.passcode)).toBe(true);
    expect(users.get('bob')!.groups).toEqual(['producers']);
  });

  it('a .yaml users file is written and read as YAML', async () => {
    const file = join(dir, 'users.yaml');
    await addUser(file, 'alice', 'one', { groups: ['ops'], params: FAST });
    await addUser(file, 'bob', 'two', { params: FAST });
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^users:\n {2}alice:\n {4}passcode: scrypt\$/);
    const users = parseUsers(text, file);
    expect(users.get('alice')!.groups).toEqual(['ops']);
    expect(await verifyPasscode('two', users.get('bob')!.passcode)).toBe(true);
    // Written by hand, YAML style:
    const hand = join(dir, 'hand.yml');
    const hash = text.split('\n')[2]!.trim().slice('passcode: '.length);
    writeFileSync(hand, `users:\n  carol:\n    passcode: "${hash}"\n    groups: [admins]\n`);
    expect(parseUsers(readFileSync(hand, 'utf8'), hand).get('carol')!.groups).toEqual(['admins']);
    expect(() => parseUsers('users: [', hand)).toThrow(/users file .*hand\.yml is not valid YAML/);
  });

  it('leaves no temporary files behind', async () => {
    const file = join(dir, 'users.json');
    await addUser(file, 'alice', 'one', { params: FAST });
    await addUser(file, 'bob', 'two', { params: FAST });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual(['users.json']);
  });

  it.each([
    ['', /invalid user name/],
    ['@alice', /invalid user name/],
    ['a b', /invalid user name/],
  ])('refuses user name %j', async (name, message) => {
    await expect(addUser(join(dir, 'u.json'), name, 'pw', { params: FAST })).rejects.toThrow(
      message,
    );
  });

  it('refuses bad groups and an empty passcode', async () => {
    const file = join(dir, 'u.json');
    await expect(addUser(file, 'a', 'pw', { groups: ['*'], params: FAST })).rejects.toThrow(
      /group/,
    );
    await expect(addUser(file, 'a', '', { params: FAST })).rejects.toThrow(/empty/);
  });

  it('will not rewrite a file it cannot read back', async () => {
    const file = join(dir, 'u.json');
    writeFileSync(file, '{ not json');
    await expect(addUser(file, 'a', 'pw', { params: FAST })).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
  });

  it('parseUsers names the entry that is wrong', () => {
    expect(() => parseUsers('{"users":{"x":{}}}', 'f.json')).toThrow(/user 'x'.*passcode/);
    expect(() => parseUsers('{"users":{"x":{"passcode":"nope"}}}', 'f.json')).toThrow(/user 'x'/);
    expect(() => parseUsers('[]', 'f.json')).toThrow(/must hold/);
  });

  it('ReloadingFile picks up a change and keeps the last good contents on a bad one', async () => {
    const file = join(dir, 'users.json');
    await addUser(file, 'alice', 'one', { params: FAST });
    const errors: Error[] = [];
    const table = new ReloadingFile(file, parseUsers, (err) => errors.push(err));
    expect([...table.last.keys()]).toEqual(['alice']);
    await addUser(file, 'bob', 'two', { params: FAST });
    // Checked at most once a second: pass "now" from the future.
    expect([...(await table.current(Date.now() + 2000)).keys()].sort()).toEqual(['alice', 'bob']);
    writeFileSync(file, '{ broken');
    expect([...(await table.current(Date.now() + 4000)).keys()].sort()).toEqual(['alice', 'bob']);
    expect(errors[0]?.message).toMatch(/not valid JSON/);
  });
});
