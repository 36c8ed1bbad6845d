/**
 * The generator's client side: raw TCP sockets speaking STOMP, optionally
 * inside a hand-written minimal RFC 6455 WebSocket client. Built to cost as
 * little CPU per message as possible:
 *
 * - one shared receive buffer for every socket of the process (net `onread`),
 *   so reads allocate nothing;
 * - incoming STOMP is not parsed: frames are counted by their NUL (a native
 *   memchr via Buffer.indexOf), classified by their first byte, and only the
 *   rare control frames (CONNECTED, RECEIPT, ERROR) are copied and decoded;
 * - latency mode reads a timestamp from the last 16 body bytes; ack mode
 *   copies the `ack` header value into a pre-serialized ACK frame;
 * - outgoing frames are serialized (and WebSocket-masked with the
 *   connection's fixed random mask) once, and written in batches.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const LF = 0x0a;
const CR = 0x0d;
const CMD_M = 0x4d; // MESSAGE
const CMD_S = 0x53; // SEND (what the relays forward)
const CMD_E = 0x45; // ERROR
const CMD_R = 0x52; // RECEIPT
const CMD_C = 0x43; // CONNECTED

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const RECV_BUFFER = Buffer.allocUnsafe(512 * 1024);
const ACK_NEEDLE = Buffer.from('\nack:');
const HDR_END = Buffer.from('\n\n');
const ACK_HEAD = Buffer.from('ACK\nid:');
const ACK_TAIL = Buffer.from('\n\n\0');
/** Scratch for outgoing ACKs of one read (flushed, copied, at the end of the read). */
const OUT_SCRATCH = Buffer.allocUnsafe(4 * 1024 * 1024);

/** Counters shared by every connection of one worker (one object: no per-frame function calls). */
export const counters = {
  delivered: 0,
  /** hrtime (ns, as Number) of the last read that carried a delivery. */
  lastDeliveryNs: 0,
  firstDeliveryNs: 0,
  errors: 0,
  errorText: '',
  unexpectedCloses: 0,
  acksSent: 0,
  /** Called (if set) after every read that carried deliveries. */
  onProgress: null,
  /** Latency mode: called with (sendNs, recvNs, measured) per delivery. */
  onLatency: null,
};

function hrNs() {
  return Number(process.hrtime.bigint());
}

/** Hex digits -> Number (the 16-hex-digit hrtime stamp in latency bodies). */
function readHex(buf, at, n) {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[at + i];
    v = v * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return v;
}

/** Mask `src` into `dst` at `offset` with the 4-byte key, continuing the key at phase `phase`. */
function maskInto(dst, offset, src, key, phase = 0) {
  for (let i = 0; i < src.length; i++) dst[offset + i] = src[i] ^ key[(phase + i) & 3];
}

/** A client->server WebSocket text frame carrying `payload`, masked with `key` (RFC 6455 §5.3). */
export function wsFrame(payload, key) {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = 2 + ext + 4;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x81; // FIN + text (STOMP frames here are ASCII)
  if (ext === 0) out[1] = 0x80 | len;
  else if (ext === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  key.copy(out, 2 + ext);
  maskInto(out, head, payload, key);
  return out;
}

/**
 * One client connection: TCP, or WebSocket over TCP. `mode` decides what a
 * delivery costs: 'count' (NUL counting only), 'latency' (timestamp read),
 * 'ack' (ACK every MESSAGE by its ack header).
 */
export class Conn {
  constructor({ kind, host, port, path = '/stomp', localAddress, mode = 'count' }) {
    this.kind = kind;
    this.host = host;
    this.port = port;
    this.path = path;
    this.localAddress = localAddress;
    this.mode = mode;
    this.mask = kind === 'ws' ? randomBytes(4) : null;
    this.socket = null;
    this.closed = false;
    this.expectClose = false;
    // WebSocket handshake / frame parser state.
    this.handshaking = kind === 'ws';
    this.handshakeBuf = null;
    this.wsKey = '';
    this.hdr = Buffer.allocUnsafe(14);
    this.hdrLen = 0;
    this.payloadLeft = 0;
    this.opcode = 0;
    this.control = null;
    // STOMP sink state.
    this.atFrameStart = true;
    this.cmd = 0;
    this.keep = false;
    this.parts = null;
    this.outLen = 0;
    // Handshake waiters.
    this.connectedWaiter = null;
    this.receiptWaiters = new Map();
    this.onReady = null;
    this.onFail = null;
  }

  /** Open TCP (and upgrade to WebSocket). Resolves when bytes can flow. */
  open(timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        () => fail(new Error(`connect timeout after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(this);
      };
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.destroy();
        reject(err);
      };
      this.onReady = done;
      this.onFail = fail;
      const socket = net.connect({
        host: this.host,
        port: this.port,
        localAddress: this.localAddress,
        noDelay: true,
        onread: { buffer: RECV_BUFFER, callback: (n, buf) => this.onRead(n, buf) },
      });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('connect', () => {
        // Belt and braces for the loopback-only rule: whatever the name resolved to.
        const remote = socket.remoteAddress ?? '';
        if (!/^(127\.|::1$|::ffff:127\.)/.test(remote)) {
          fail(new Error(`refusing non-loopback peer ${remote}`));
          return;
        }
        if (this.kind === 'tcp') {
          done();
          return;
        }
        this.wsKey = randomBytes(16).toString('base64');
        socket.write(
          `GET ${this.path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.wsKey}\r\nSec-WebSocket-Version: 13\r\n` +
            'Sec-WebSocket-Protocol: v12.stomp, v11.stomp\r\n\r\n',
        );
      });
      socket.on('error', (err) => {
        if (!settled) fail(err);
        else this.noteError(`socket error: ${err.message}`);
      });
      socket.on('close', () => {
        this.closed = true;
        if (!settled) fail(new Error('connection closed during open'));
        else if (!this.expectClose) counters.unexpectedCloses++;
        for (const w of this.receiptWaiters.values()) w.reject(new Error('connection closed'));
        this.receiptWaiters.clear();
        if (this.connectedWaiter)
          this.connectedWaiter.reject(new Error('connection closed before CONNECTED'));
        this.connectedWaiter = null;
      });
    });
  }

  noteError(text) {
    counters.errors++;
    if (counters.errorText === '') counters.errorText = text.slice(0, 300);
  }

  // ── outgoing ────────────────────────────────────────────────────────

  /** Wire bytes for one STOMP frame on this connection (masked WebSocket frame, or as is). */
  encode(stomp) {
    return this.kind === 'ws' ? wsFrame(stomp, this.mask) : stomp;
  }

  write(bytes) {
    if (!this.closed) this.socket.write(bytes);
  }

  get writableLength() {
    return this.socket ? this.socket.writableLength : 0;
  }

  /** CONNECT and wait for CONNECTED. */
  stompConnect({ login, passcode, vhost, timeoutMs = 10_000 }) {
    let frame = `CONNECT\naccept-version:1.2\nhost:${vhost ?? this.host}\nheart-beat:0,0\n`;
    if (login !== undefined) frame += `login:${login}\n`;
    if (passcode !== undefined) frame += `passcode:${passcode}\n`;
    frame += '\n\0';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no CONNECTED within timeout')), timeoutMs);
      this.connectedWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.write(this.encode(Buffer.from(frame)));
    });
  }

  /** Send a frame carrying `receipt:<id>` and wait for its RECEIPT. */
  sendWithReceipt(stompText, receiptId, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.receiptWaiters.delete(receiptId);
        reject(new Error(`no RECEIPT ${receiptId} within timeout`));
      }, timeoutMs);
      this.receiptWaiters.set(receiptId, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.write(this.encode(Buffer.from(stompText)));
    });
  }

  close() {
    this.expectClose = true;
    if (this.socket && !this.closed) this.socket.destroy();
  }

  destroy() {
    this.expectClose = true;
    this.socket?.destroy();
  }

  // ── incoming ────────────────────────────────────────────────────────

  onRead(n, shared) {
    const before = counters.delivered;
    // A view of exactly this read, so native searches never run into stale bytes.
    const buf = shared.subarray(0, n);
    if (this.handshaking) this.readHandshake(buf, 0, n);
    else if (this.kind === 'ws') this.readWs(buf, 0, n);
    else this.feed(buf, 0, n);
    if (this.outLen > 0) this.flushOut();
    if (counters.delivered !== before) {
      const now = hrNs();
      if (counters.firstDeliveryNs === 0) counters.firstDeliveryNs = now;
      counters.lastDeliveryNs = now;
      if (counters.onProgress !== null) counters.onProgress();
    }
  }

  readHandshake(buf, s, e) {
    const chunk = Buffer.from(buf.subarray(s, e));
    this.handshakeBuf = this.handshakeBuf ? Buffer.concat([this.handshakeBuf, chunk]) : chunk;
    const end = this.handshakeBuf.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.handshakeBuf.length > 16384)
        this.onFail?.(new Error('WebSocket handshake response too large'));
      return;
    }
    const head = this.handshakeBuf.subarray(0, end).toString('latin1');
    const rest = this.handshakeBuf.subarray(end + 4);
    this.handshakeBuf = null;
    this.handshaking = false;
    if (!/^HTTP\/1\.1 101/.test(head)) {
      this.onFail?.(new Error(`WebSocket upgrade refused: ${head.split('\r\n')[0]}`));
      return;
    }
    const expect = createHash('sha1')
      .update(this.wsKey + WS_GUID)
      .digest('base64');
    const accept = /\r\nsec-websocket-accept:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    if (accept !== expect) {
      this.onFail?.(new Error('WebSocket upgrade: bad Sec-WebSocket-Accept'));
      return;
    }
    this.onReady?.();
    if (rest.length > 0) this.readWs(rest, 0, rest.length);
  }

  /** Server->client frames (unmasked). Data payload bytes go straight to feed(). */
  readWs(buf, s, e) {
    while (s < e) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, e - s);
        if (this.control === null) this.feed(buf, s, s + take);
        else this.control.push(Buffer.from(buf.subarray(s, s + take)));
        s += take;
        this.payloadLeft -= take;
        if (this.payloadLeft === 0 && this.control !== null) this.endControl();
        continue;
      }
      // Frame header: fast path when whole in this chunk.
      let hs;
      let src;
      if (this.hdrLen === 0 && e - s >= 2) {
        src = buf;
        hs = s;
      } else {
        // Accumulate a split header.
        this.hdr[this.hdrLen++] = buf[s++];
        if (this.hdrLen < 2) continue;
        src = this.hdr;
        hs = 0;
      }
      const b0 = src[hs];
      const b1 = src[hs + 1];
      const len7 = b1 & 0x7f;
      const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
      if (src === buf) {
        if (e - s < need) {
          // Split header: move into the accumulator.
          while (s < e) this.hdr[this.hdrLen++] = buf[s++];
          continue;
        }
      } else {
        while (this.hdrLen < need && s < e) this.hdr[this.hdrLen++] = buf[s++];
        if (this.hdrLen < need) continue;
      }
      let len = len7;
      if (len7 === 126) len = (src[hs + 2] << 8) | src[hs + 3];
      else if (len7 === 127) len = Number(src.readBigUInt64BE(hs + 2));
      if (src === buf) s += need;
      this.hdrLen = 0;
      this.opcode = b0 & 0x0f;
      this.payloadLeft = len;
      // 0 continuation, 1 text, 2 binary carry STOMP; 8 close, 9 ping, 10 pong.
      this.control = this.opcode >= 8 ? [] : null;
      if (len === 0 && this.control !== null) this.endControl();
    }
  }

  endControl() {
    const payload = Buffer.concat(this.control);
    this.control = null;
    if (this.opcode === 9) {
      const pong = wsFrame(payload, this.mask);
      pong[0] = 0x8a;
      this.write(pong);
    } else if (this.opcode === 8) {
      if (!this.expectClose)
        this.noteError(`WebSocket close from server: ${payload.subarray(2).toString()}`);
      this.close();
    }
  }

  /** STOMP bytes [s, e) of `buf` (only valid during the call). */
  feed(buf, s, e) {
    while (s < e) {
      if (this.atFrameStart) {
        let c = buf[s];
        while (c === LF || c === CR) {
          if (++s === e) return;
          c = buf[s];
        }
        this.cmd = c;
        this.atFrameStart = false;
        // Copy bytes only when the frame's content matters.
        this.keep = (c !== CMD_M && c !== CMD_S) || this.mode !== 'count';
      }
      let nul = buf.indexOf(0, s);
      if (nul >= e) nul = -1;
      if (nul === -1) {
        if (this.keep) {
          this.parts ??= [];
          this.parts.push(Buffer.from(buf.subarray(s, e)));
        }
        return;
      }
      if (this.keep) {
        if (this.parts === null) this.frame(buf, s, nul);
        else {
          this.parts.push(buf.subarray(s, nul));
          const whole = Buffer.concat(this.parts);
          this.parts = null;
          this.frame(whole, 0, whole.length);
        }
      } else {
        counters.delivered++;
      }
      s = nul + 1;
      this.atFrameStart = true;
    }
  }

  /** A whole frame whose content we need: [fs, fe), fe = index of its NUL. */
  frame(buf, fs, fe) {
    const cmd = this.cmd;
    if (cmd === CMD_M || cmd === CMD_S) {
      counters.delivered++;
      if (this.mode === 'latency') {
        // Body ends with <flag byte><16 hex digits of the send hrtime in ns>.
        if (fe - fs >= 17 && counters.onLatency !== null) {
          counters.onLatency(readHex(buf, fe - 16, 16), buf[fe - 17] === 0x4d /* 'M' measured */);
        }
      } else if (this.mode === 'ack' && cmd === CMD_M) {
        let hdrEnd = buf.indexOf(HDR_END, fs);
        if (hdrEnd === -1 || hdrEnd > fe) hdrEnd = fe;
        const at = buf.indexOf(ACK_NEEDLE, fs);
        if (at === -1 || at >= hdrEnd) {
          this.noteError('MESSAGE without an ack header in ack mode');
          return;
        }
        const vs = at + ACK_NEEDLE.length;
        let ve = buf.indexOf(LF, vs);
        if (ve === -1 || ve > hdrEnd) ve = hdrEnd;
        this.queueAck(buf, vs, ve);
      }
      return;
    }
    const text = buf.subarray(fs, fe).toString('utf8');
    if (cmd === CMD_C) {
      this.connectedWaiter?.resolve();
      this.connectedWaiter = null;
    } else if (cmd === CMD_R) {
      const id = /\nreceipt-id:([^\n\r]*)/.exec(text)?.[1];
      const w = id === undefined ? undefined : this.receiptWaiters.get(id);
      if (w) {
        this.receiptWaiters.delete(id);
        w.resolve();
      }
    } else if (cmd === CMD_E) {
      const message = /\nmessage:([^\n\r]*)/.exec(text)?.[1] ?? '';
      const body = text.slice(text.indexOf('\n\n') + 2, text.indexOf('\n\n') + 200).trim();
      this.noteError(`ERROR frame: ${message}${body ? ` — ${body}` : ''}`);
      const e = new Error(`ERROR frame: ${message}`);
      this.connectedWaiter?.reject(e);
      this.connectedWaiter = null;
      for (const w of this.receiptWaiters.values()) w.reject(e);
      this.receiptWaiters.clear();
    }
  }

  /** Append `ACK\nid:<value>\n\n\0` (WebSocket-framed when needed) to this read's output. */
  queueAck(buf, vs, ve) {
    const idLen = ve - vs;
    const stompLen = ACK_HEAD.length + idLen + ACK_TAIL.length;
    let o = this.outLen;
    if (o + stompLen + 8 > OUT_SCRATCH.length) {
      this.flushOut();
      o = 0;
    }
    if (this.kind === 'tcp') {
      ACK_HEAD.copy(OUT_SCRATCH, o);
      buf.copy(OUT_SCRATCH, o + ACK_HEAD.length, vs, ve);
      ACK_TAIL.copy(OUT_SCRATCH, o + ACK_HEAD.length + idLen);
      this.outLen = o + stompLen;
    } else {
      const ext = stompLen < 126 ? 0 : 2;
      OUT_SCRATCH[o] = 0x81;
      if (ext === 0) OUT_SCRATCH[o + 1] = 0x80 | stompLen;
      else {
        OUT_SCRATCH[o + 1] = 0x80 | 126;
        OUT_SCRATCH.writeUInt16BE(stompLen, o + 2);
      }
      const key = this.mask;
      const p = o + 2 + ext;
      key.copy(OUT_SCRATCH, p);
      let q = p + 4;
      let k = 0;
      for (let i = 0; i < ACK_HEAD.length; i++) OUT_SCRATCH[q++] = ACK_HEAD[i] ^ key[k++ & 3];
      for (let i = vs; i < ve; i++) OUT_SCRATCH[q++] = buf[i] ^ key[k++ & 3];
      for (let i = 0; i < ACK_TAIL.length; i++) OUT_SCRATCH[q++] = ACK_TAIL[i] ^ key[k++ & 3];
      this.outLen = q;
    }
    counters.acksSent++;
  }

  flushOut() {
    const out = Buffer.allocUnsafe(this.outLen);
    OUT_SCRATCH.copy(out, 0, 0, this.outLen);
    this.outLen = 0;
    this.write(out);
  }
}

/**
 * Pre-serialized SEND frames. `copies` frames back to back in one buffer, so
 * a burst of n is one write of a subarray (the buffer is never modified).
 * For latency, `stamped()` returns a fresh frame with the timestamp patched in.
 */
export class SendTemplate {
  constructor(conn, { destination, bodySize = 128, headers = {}, copies = 64, stampable = false }) {
    this.conn = conn;
    let head = `SEND\ndestination:${destination}\ncontent-type:text/plain\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}:${v}\n`;
    head += `content-length:${bodySize}\n\n`;
    const body = Buffer.alloc(bodySize, 0x78); // 'x'
    const stomp = Buffer.concat([Buffer.from(head), body, Buffer.from([0])]);
    this.stomp = stomp;
    this.one = conn.encode(stomp);
    this.frameLen = this.one.length;
    this.copies = copies;
    this.burst = Buffer.allocUnsafe(this.frameLen * copies);
    for (let i = 0; i < copies; i++) this.one.copy(this.burst, i * this.frameLen);
    // Where the body's last 17 bytes (flag + 16 hex digits) sit, in wire bytes and in payload phase.
    if (stampable) {
      if (bodySize < 17) throw new Error('latency bodies need >= 17 bytes');
      this.stampPayloadOffset = stomp.length - 1 - 17;
      this.stampWireOffset = this.frameLen - stomp.length + this.stampPayloadOffset;
    }
  }

  /** Bytes of n frames (n <= copies). */
  bytes(n) {
    return n === this.copies ? this.burst : this.burst.subarray(0, n * this.frameLen);
  }

  /** A fresh wire frame whose body ends with flag + hex(ns). */
  stamped(ns, measured) {
    const out = Buffer.from(this.one);
    const digits = Buffer.from(
      (measured ? 'M' : 'W') + Math.round(ns).toString(16).padStart(16, '0'),
    );
    if (this.conn.kind === 'ws') {
      const key = this.conn.mask;
      for (let i = 0; i < 17; i++)
        out[this.stampWireOffset + i] = digits[i] ^ key[(this.stampPayloadOffset + i) & 3];
    } else {
      digits.copy(out, this.stampWireOffset);
    }
    return out;
  }
}
