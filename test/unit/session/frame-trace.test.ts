import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeFrame } from '../../../server/src/protocol/encoder.js';
import { createHeaders, type Frame } from '../../../server/src/protocol/frame.js';
import { FrameTrace, REDACTED } from '../../../server/src/session/frame-trace.js';

const LIMITS = { maxFrames: 5, maxDurationMs: 60_000, bodyPreviewBytes: 8 };

function trace(limits = LIMITS, onStop: (t: FrameTrace) => void = () => {}): FrameTrace {
  const t = new FrameTrace('t1', limits, onStop);
  onTestFinished(() => t.stop());
  return t;
}

function frame(command: string, headers: Record<string, string>, body = ''): Frame {
  const h = createHeaders();
  Object.assign(h, headers);
  return { command, headers: h, body: Buffer.from(body) };
}

describe('FrameTrace', () => {
  it('redacts passcodes and tokens of inbound frames and keeps the login', () => {
    const t = trace();
    t.inbound(
      frame('CONNECT', { login: 'alice', passcode: 's3cret', 'x-resume': 'tok', host: 'h' }),
    );
    t.inbound(frame('SEND', { destination: '/system/token', receipt: '1' }, 'eyJhbGciOi'));
    const [connect, send] = t.read(0);
    expect(connect).toMatchObject({
      seq: 1,
      direction: 'in',
      command: 'CONNECT',
      headers: { login: 'alice', passcode: REDACTED, 'x-resume': REDACTED, host: 'h' },
    });
    expect(send!.bodyPreview).toBe(REDACTED);
    expect(send!.bodySize).toBe(10);
  });

  it('decodes outbound frames: command, unescaped headers, body preview and size', () => {
    const t = trace();
    const bytes = encodeFrame(
      'MESSAGE',
      [
        ['destination', '/queue/a'],
        ['note', 'a:b\nc'],
        ['x-resume-token', 'zzz'],
      ],
      'hello world, a long body',
      '1.2',
    );
    t.outbound(bytes, '1.2');
    t.outbound(Buffer.from('\n'), '1.2');
    const frames = t.read(0);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({
      direction: 'out',
      command: 'MESSAGE',
      headers: { destination: '/queue/a', note: 'a:b\nc', 'x-resume-token': REDACTED },
      bodyPreview: 'hello wo',
      bodyEncoding: 'utf8',
      bodySize: 24,
    });
  });

  it('marks a binary body as base64', () => {
    const t = trace();
    t.inbound({
      command: 'SEND',
      headers: createHeaders(),
      body: Buffer.from([0xff, 0xfe, 0x00, 0x01]),
    });
    expect(t.read(0)[0]).toMatchObject({
      bodyEncoding: 'base64',
      bodyPreview: '//4AAQ==',
      bodySize: 4,
    });
  });

  it('keeps at most maxFrames, newest last, and counts what fell out', () => {
    const t = trace();
    for (let i = 0; i < 12; i++) t.inbound(frame('SEND', { destination: `/queue/${i}` }));
    const frames = t.read(0);
    expect(frames.map((f) => f.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(t.dropped).toBe(7);
    expect(t.read(10).map((f) => f.seq)).toEqual([11, 12]);
  });

  it('records nothing once stopped, and tells its owner once', () => {
    let stops = 0;
    const t = trace(LIMITS, () => stops++);
    t.inbound(frame('SEND', { destination: '/queue/a' }));
    t.stop();
    t.stop();
    t.inbound(frame('SEND', { destination: '/queue/b' }));
    expect(stops).toBe(1);
    expect(t.active).toBe(false);
    expect(t.read(0)).toHaveLength(1);
  });

  it('stops by itself after maxDurationMs', async () => {
    let stopped = false;
    const t = trace({ ...LIMITS, maxDurationMs: 30 }, () => {
      stopped = true;
    });
    expect(t.expiresAt - t.startedAt).toBe(30);
    await new Promise((r) => setTimeout(r, 80));
    expect(stopped).toBe(true);
    expect(t.active).toBe(false);
  });
});
