/**
 * GET /metrics parses as Prometheus text exposition (strict parser in
 * test/helpers/prometheus.ts), and its counters move with the traffic the
 * test sends; per-destination series stay within the top N plus `other`.
 */
import { describe, expect, it } from 'vitest';
import { startBroker, WS_TRANSPORTS } from '../../helpers/broker.js';
import { startLmdbBroker, tempDataDir } from '../../helpers/persistence.js';
import { parsePrometheus, sampleValue } from '../../helpers/prometheus.js';
import { uniqueName } from '../../helpers/raw-client.js';

async function scrape(port: number, path = '/metrics') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await response.text());
}

describe.each(WS_TRANSPORTS)('metrics over %s', (wsTransport) => {
  it('parses strictly and its counters move with traffic', async () => {
    const b = await startBroker({ wsTransport, limits: { maxSubscriptionsPerConnection: 1 } });
    const port = b.addr.ws.port;
    const before = await scrape(port);
    for (const name of [
      'stompede_connections',
      'stompede_frames_in_total',
      'stompede_bytes_out_total',
      'stompede_messages_published_total',
      'stompede_messages_acked_total',
      'stompede_store_commit_seconds',
      'stompede_event_loop_lag_seconds',
      'stompede_queue_depth',
    ]) {
      expect(before.has(name), name).toBe(true);
    }
    expect(before.get('stompede_messages_published_total')!.type).toBe('counter');
    expect(before.get('stompede_store_commit_seconds')!.type).toBe('histogram');
    expect(sampleValue(before, 'stompede_messages_published_total')).toBe(0);

    const queue = `/queue/${uniqueName('m')}`;
    const producer = await b.connectTcp();
    const consumer = await b.connectWs();
    await consumer.subscribe(queue, 's', { ack: 'client-individual' });
    for (let i = 0; i < 6; i++) await producer.publish(queue, `m${i}`);
    for (const frame of await consumer.messages(6)) {
      consumer.send('ACK', { id: frame.headers.ack! });
    }
    // Breach a limit: a second subscription on a connection allowed one.
    consumer.send('SUBSCRIBE', { destination: '/topic/x', id: 'two' });
    await consumer.waitForCommand('ERROR');
    await consumer.expectClosed();
    const after = await scrape(port);
    expect(sampleValue(after, 'stompede_messages_published_total')).toBe(6);
    expect(sampleValue(after, 'stompede_messages_delivered_total')).toBe(6);
    expect(sampleValue(after, 'stompede_messages_acked_total')).toBe(6);
    expect(sampleValue(after, 'stompede_connections', { transport: 'tcp' })).toBe(1);
    expect(sampleValue(after, 'stompede_connections', { transport: wsTransport })).toBe(0);
    // CONNECT + 6 SENDs on TCP.
    expect(sampleValue(after, 'stompede_frames_in_total', { transport: 'tcp' })).toBe(7);
    expect(
      sampleValue(after, 'stompede_bytes_out_total', { transport: wsTransport }),
    ).toBeGreaterThan(6 * 2);
    expect(
      sampleValue(after, 'stompede_limit_breaches_total', {
        limit: 'limits.maxSubscriptionsPerConnection',
      }),
    ).toBe(1);
  });
});

describe('metrics', () => {
  it('keeps per-destination series to the top N plus other', async () => {
    const b = await startBroker({ metrics: { topDestinations: 2 } });
    const producer = await b.connectTcp();
    const base = uniqueName('top');
    // Depths 4, 3, 2, 1: the two deepest keep their label; the rest sum to other = 3.
    for (let q = 0; q < 4; q++) {
      for (let i = 0; i < 4 - q; i++) await producer.publish(`/queue/${base}.${q}`, 'x');
    }
    const metrics = await scrape(b.addr.ws.port);
    const depth = metrics.get('stompede_queue_depth')!.samples;
    expect(depth.map((s) => [s.labels.destination, s.value])).toEqual([
      [`/queue/${base}.0`, 4],
      [`/queue/${base}.1`, 3],
      ['other', 3],
    ]);
  });

  it('observes LMDB commits in the commit latency histogram, and serves at metrics.path', async () => {
    const dataDir = await tempDataDir('stompede-metrics-');
    const b = await startLmdbBroker(dataDir, { metrics: { path: '/prometheus' } });
    const producer = await b.connectTcp();
    for (let i = 0; i < 3; i++)
      await producer.publish('/queue/durable', 'x', { persistent: 'true' });
    const metrics = await scrape(b.addr.ws.port, '/prometheus');
    const count = sampleValue(metrics, 'stompede_store_commit_seconds_count')!;
    expect(count).toBeGreaterThanOrEqual(1);
    expect((await fetch(`http://127.0.0.1:${b.addr.ws.port}/metrics`)).status).toBe(404);
  });
});

describe('the test parser of the exposition format', () => {
  it('refuses what Prometheus would refuse', () => {
    const ok = '# TYPE a counter\na{x="1"} 2\n';
    expect(sampleValue(parsePrometheus(ok), 'a', { x: '1' })).toBe(2);
    for (const bad of [
      'a 1\n', // no TYPE
      '# TYPE a counter\na{x="1} 2\n', // unterminated label
      '# TYPE a counter\na{x="1"} two\n', // not a number
      '# TYPE a counter\na 1\na 2\n', // duplicate series
      '# TYPE a counter\na 1', // no final newline
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n', // not cumulative
    ]) {
      expect(() => parsePrometheus(bad), JSON.stringify(bad)).toThrow();
    }
  });
});
