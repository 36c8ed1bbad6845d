/**
 * A tiny, independent STOMP frame encoder and streaming frame reader used by the
 * integration tests. It deliberately does NOT reuse the broker's own parser: the tests
 * must not trust the code under test.
 */

export interface Frame {
  command: string;
  /** First occurrence of each header wins (STOMP 1.2 §"Repeated Header Entries"). */
  headers: Record<string, string>;
  /** Every header line, in wire order, decoded. */
  headerList: Array<[string, string]>;
  body: Buffer;
  /** Body decoded as UTF-8. */
  bodyText: string;
}

export type HeaderInput = Record<string, string> | Array<[string, string]>;

export function escapeHeader(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/:/g, '\\c');
}

export function unescapeHeader(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = value[i + 1];
    i++;
    switch (next) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'c':
        out += ':';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        throw new Error(
          `undefined escape sequence \\${next ?? '<end>'} in header ${JSON.stringify(value)}`,
        );
    }
  }
  return out;
}

export interface EncodeOptions {
  /** Escape header names/values (STOMP 1.1+). Default true except CONNECT/STOMP. */
  escape?: boolean;
  /** Add a content-length header when the body is non-empty. Default true. */
  contentLength?: boolean;
}

export function encodeFrame(
  command: string,
  headers: HeaderInput = {},
  body: string | Buffer = '',
  opts: EncodeOptions = {},
): Buffer {
  const list: Array<[string, string]> = Array.isArray(headers)
    ? [...headers]
    : Object.entries(headers);
  const bodyBuf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const doEscape = opts.escape ?? !(command === 'CONNECT' || command === 'STOMP');
  const addLength = opts.contentLength ?? true;
  if (addLength && bodyBuf.length > 0 && !list.some(([k]) => k === 'content-length')) {
    list.push(['content-length', String(bodyBuf.length)]);
  }
  let head = `${command}\n`;
  for (const [k, v] of list) {
    head += doEscape ? `${escapeHeader(k)}:${escapeHeader(v)}\n` : `${k}:${v}\n`;
  }
  head += '\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), bodyBuf, Buffer.from([0])]);
}

export function describeFrame(f: Frame): string {
  const hdrs = f.headerList.map(([k, v]) => `${k}:${v}`).join(' | ');
  const body = f.bodyText.length > 120 ? `${f.bodyText.slice(0, 120)}…` : f.bodyText;
  return `${f.command} [${hdrs}] ${JSON.stringify(body)}`;
}

/**
 * Streaming reader: push() arbitrary chunks, frames are emitted as they complete.
 * EOLs between frames are counted as heart-beats.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private broken = false;
  /** Header escaping is applied for 1.1+ sessions; learned from the CONNECTED frame. */
  version = '1.0';
  heartbeats = 0;

  constructor(
    private readonly onFrame: (f: Frame) => void,
    private readonly onError: (e: Error) => void,
    private readonly onHeartbeat: () => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      for (;;) {
        if (!this.step()) break;
      }
    } catch (e) {
      this.broken = true;
      this.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Returns true if progress was made. */
  private step(): boolean {
    const b = this.buf;
    if (b.length === 0) return false;
    if (b[0] === 0x0a) {
      this.heartbeats++;
      this.onHeartbeat();
      this.buf = b.subarray(1);
      return true;
    }
    if (b[0] === 0x0d) {
      if (b.length < 2) return false;
      if (b[1] !== 0x0a) throw new Error('stray CR between frames');
      this.heartbeats++;
      this.onHeartbeat();
      this.buf = b.subarray(2);
      return true;
    }
    // Find the blank line ending the header section.
    let end = -1;
    let bodyStart = -1;
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== 0x0a) continue;
      if (b[i + 1] === 0x0a) {
        end = i;
        bodyStart = i + 2;
        break;
      }
      if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) {
        end = i;
        bodyStart = i + 3;
        break;
      }
      if (i + 1 >= b.length || (b[i + 1] === 0x0d && i + 2 >= b.length)) return false;
    }
    if (end < 0) {
      if (b.length > 1_000_000) throw new Error('header section too large');
      return false;
    }
    const lines = b
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const command = lines[0] ?? '';
    if (!/^[A-Z]+$/.test(command)) throw new Error(`bad command line ${JSON.stringify(command)}`);
    const decode = command !== 'CONNECTED' && this.version !== '1.0';
    const headerList: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      const idx = line.indexOf(':');
      if (idx < 0)
        throw new Error(`header line without colon in ${command}: ${JSON.stringify(line)}`);
      const k = line.slice(0, idx);
      const v = line.slice(idx + 1);
      headerList.push(decode ? [unescapeHeader(k), unescapeHeader(v)] : [k, v]);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of headerList) if (!(k in headers)) headers[k] = v;
    let body: Buffer;
    let next: number;
    const cl = headers['content-length'];
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new Error(`bad content-length ${JSON.stringify(cl)}`);
      const len = Number(cl);
      if (b.length < bodyStart + len + 1) return false;
      if (b[bodyStart + len] !== 0) {
        throw new Error(
          `${command}: byte after content-length (${len}) body is ${b[bodyStart + len]}, not NUL`,
        );
      }
      body = Buffer.from(b.subarray(bodyStart, bodyStart + len));
      next = bodyStart + len + 1;
    } else {
      const nul = b.indexOf(0, bodyStart);
      if (nul < 0) return false;
      body = Buffer.from(b.subarray(bodyStart, nul));
      next = nul + 1;
    }
    this.buf = b.subarray(next);
    if (command === 'CONNECTED' && headers.version) this.version = headers.version;
    this.onFrame({ command, headers, headerList, body, bodyText: body.toString('utf8') });
    return true;
  }
}
