import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configFromEnv,
  DEFAULT_CONFIG,
  layerConfigs,
  resolveConfig,
} from '../../server/src/config.js';

describe('config', () => {
  it('fills every unset key with its default', () => {
    const config = resolveConfig({ tcpPort: 0, limits: { maxHeaders: 10 } });
    expect(config.tcpPort).toBe(0);
    expect(config.limits.maxHeaders).toBe(10);
    expect(config.limits.maxFrameSize).toBe(DEFAULT_CONFIG.limits.maxFrameSize);
    expect(config.host).toBe('127.0.0.1');
  });

  it('does not share nested objects with the defaults', () => {
    const config = resolveConfig({});
    config.limits.maxHeaders = 1;
    expect(DEFAULT_CONFIG.limits.maxHeaders).toBe(128);
  });

  it.each([
    [{ tcpPort: 70000 }, /tcpPort/],
    [{ limits: { maxFrameSize: 0 } }, /limits.maxFrameSize/],
    [{ wsTransport: 'quic' }, /wsTransport/],
    [{ bogus: 1 }, /unknown config key 'bogus'/],
    [{ heartbeat: { toleranceFactor: 0.5 } }, /toleranceFactor/],
    [{ wsPaths: ['stomp'] }, /wsPaths/],
    [
      { limits: { maxFrameSize: 'abc' } },
      /limits\.maxFrameSize must be an integer >= 1 \(got "abc"\)/,
    ],
    [{ limits: { maxFramesize: 5 } }, /did you mean 'limits\.maxFrameSize'\?/],
    [{ heartbaet: {} }, /unknown config key 'heartbaet' \(did you mean 'heartbeat'\?\)/],
    [{ auth: { clientCertificates: { userFrom: 'ou' } } }, /auth\.clientCertificates\.userFrom/],
  ])('refuses %j naming the key', (overrides, message) => {
    expect(() => resolveConfig(overrides as never)).toThrow(ConfigError);
    expect(() => resolveConfig(overrides as never)).toThrow(message);
  });

  it('takes a map-valued key (auth.clientCertificates.dnUsers) whole, whatever its keys', () => {
    const config = resolveConfig({
      auth: { clientCertificates: { dnUsers: { 'CN=a,O=b': 'alice' } } },
    });
    expect(config.auth.clientCertificates.dnUsers).toEqual({ 'CN=a,O=b': 'alice' });
    expect(() =>
      resolveConfig({ auth: { clientCertificates: { dnUsers: { 'CN=a': 'not a user!' } } } }),
    ).toThrow(/dnUsers\["CN=a"\] must be a user name/);
  });

  it('reads STOMPEDE_* variables, with "off" disabling a listener', () => {
    const env = configFromEnv({
      STOMPEDE_TCP_PORT: 'off',
      STOMPEDE_WS_PORT: '9000',
      STOMPEDE_HOST: '0.0.0.0',
    });
    expect(env).toEqual({ tcpPort: null, wsPort: 9000, host: '0.0.0.0' });
    expect(() => configFromEnv({ STOMPEDE_TCP_PORT: 'x' })).toThrow(/STOMPEDE_TCP_PORT/);
  });

  it('layers file, environment and flags with the later ones winning', () => {
    const layered = layerConfigs(
      { host: 'a', limits: { maxHeaders: 5 } },
      { host: 'b' },
      { limits: { maxFrameSize: 9 } },
    );
    expect(layered).toEqual({ host: 'b', limits: { maxHeaders: 5, maxFrameSize: 9 } });
  });
});
