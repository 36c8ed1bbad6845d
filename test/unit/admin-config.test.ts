import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../server/src/config.js';

describe('config: admin and metrics', () => {
  it('defaults to the admin API and /metrics on, 1 MiB bodies, the monitor group and top 50', () => {
    const config = resolveConfig({});
    expect(config.admin).toEqual({ enabled: true, maxBodyBytes: 1048576, monitorGroup: 'monitor' });
    expect(config.metrics).toEqual({ enabled: true, path: '/metrics', topDestinations: 50 });
  });

  it.each([
    [{ admin: { enabled: 'yes' } }, /admin\.enabled must be true or false/],
    [{ admin: { maxBodyBytes: 0 } }, /admin\.maxBodyBytes/],
    [{ admin: { monitorGroup: '' } }, /admin\.monitorGroup/],
    [{ metrics: { path: 'metrics' } }, /metrics\.path must be a URL path/],
    [{ metrics: { path: '/admin/api/metrics' } }, /outside \/admin\/api\//],
    [{ metrics: { path: '/stomp' } }, /metrics\.path \/stomp is also in wsPaths/],
    [{ metrics: { topDestinations: 0 } }, /metrics\.topDestinations/],
    [{ metrics: { top: 5 } }, /metrics\.top/],
  ])('refuses %j naming the key', (overrides, message) => {
    expect(() => resolveConfig(overrides as never)).toThrow(ConfigError);
    expect(() => resolveConfig(overrides as never)).toThrow(message);
  });
});
