import { describe, expect, it } from 'vitest';
import { maskRedisUrl, parseRedisUrl } from '../../../server/src/cluster/redis-url.js';

describe('parseRedisUrl', () => {
  it('reads host, port, database, user and password', () => {
    expect(parseRedisUrl('redis://app:p%40ss@redis.example:6380/3')).toEqual({
      host: 'redis.example',
      port: 6380,
      db: 3,
      username: 'app',
      password: 'p@ss',
      tls: false,
    });
  });

  it('defaults to port 6379 and database 0; rediss:// means TLS', () => {
    expect(parseRedisUrl('rediss://cache')).toMatchObject({ port: 6379, db: 0, tls: true });
  });

  it('refuses other schemes, naming the URL with the password masked', () => {
    expect(() => parseRedisUrl('http://u:secret@host:1')).toThrow(
      'http://u:***@host:1 has scheme http; expected redis://',
    );
  });

  it('refuses a path that is not a database number', () => {
    expect(() => parseRedisUrl('redis://host/abc')).toThrow(/database number/);
  });

  it('refuses text that is not a URL', () => {
    expect(() => parseRedisUrl('localhost:6379')).toThrow(/expected redis:\/\//);
  });
});

describe('maskRedisUrl', () => {
  it('hides the password and keeps everything else', () => {
    expect(maskRedisUrl('redis://user:hunter2@h:1/2')).toBe('redis://user:***@h:1/2');
    expect(maskRedisUrl('redis://:hunter2@h:1')).toBe('redis://:***@h:1');
  });

  it('leaves URLs without a password alone', () => {
    expect(maskRedisUrl('redis://h:1/0')).toBe('redis://h:1/0');
    expect(maskRedisUrl('redis://user@h:1')).toBe('redis://user@h:1');
  });
});
