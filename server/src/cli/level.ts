/**
 * Log-level detection for `stompede tail`: one normalized level per line, or
 * `undefined` when the line shows none. Levels are normalized to one small
 * vocabulary so subscribers can select on them (`level IN ('ERROR','FATAL')`)
 * whatever the source format:
 *
 *   TRACE < DEBUG < INFO < WARN < ERROR < FATAL
 *
 * Recognized, in this order:
 * 1. a syslog `<PRI>` prefix (RFC 3164/5424): severity = PRI % 8;
 * 2. a JSON object line with a `level`, `severity`, `levelname`, `lvl` or
 *    `log.level` field (flat or nested), as a word or a number: pino/bunyan
 *    numbers 10..60 map to TRACE..FATAL, numbers 0..7 are syslog severities;
 * 3. a level word among the first few tokens of the line: upper case
 *    anywhere there (`2024-05-01 12:00:00 WARN …`, `[ERROR] …`), any case when
 *    it is the first token, bracketed or followed by a colon (`error: …`,
 *    `[warn]`, `[core:error]`), or a logfmt `level=…` pair.
 */

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

/** Words that name a level, upper case, mapped onto the normalized vocabulary. */
const WORDS: ReadonlyMap<string, Level> = new Map<string, Level>([
  ['TRACE', 'TRACE'],
  ['FINEST', 'TRACE'],
  ['VERBOSE', 'TRACE'],
  ['DEBUG', 'DEBUG'],
  ['DBG', 'DEBUG'],
  ['FINE', 'DEBUG'],
  ['INFO', 'INFO'],
  ['INF', 'INFO'],
  ['INFORMATION', 'INFO'],
  ['INFORMATIONAL', 'INFO'],
  ['NOTICE', 'INFO'],
  ['WARN', 'WARN'],
  ['WARNING', 'WARN'],
  ['WRN', 'WARN'],
  ['ERROR', 'ERROR'],
  ['ERR', 'ERROR'],
  ['SEVERE', 'ERROR'],
  ['FATAL', 'FATAL'],
  ['CRITICAL', 'FATAL'],
  ['CRIT', 'FATAL'],
  ['PANIC', 'FATAL'],
  ['ALERT', 'FATAL'],
  ['EMERG', 'FATAL'],
  ['EMERGENCY', 'FATAL'],
]);

/** The common words that also count in lower or mixed case (`error: …`, `[warn]`). */
const CASELESS = new Set([
  'TRACE',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARN',
  'WARNING',
  'ERROR',
  'ERR',
  'FATAL',
  'CRITICAL',
  'CRIT',
  'PANIC',
  'EMERG',
]);

/** Syslog severities 0 (emergency) .. 7 (debug). */
const SYSLOG: readonly Level[] = [
  'FATAL',
  'FATAL',
  'FATAL',
  'ERROR',
  'WARN',
  'INFO',
  'INFO',
  'DEBUG',
];

/** How far into a line a level word may stand (tokens and characters). */
const MAX_TOKENS = 8;
const MAX_PREFIX = 160;

const SYSLOG_PRI = /^<(\d{1,3})>/;
const LOGFMT = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]+)\1(?=\s|$)/i;

export function detectLevel(line: string): Level | undefined {
  const text = line.trimStart();
  const pri = SYSLOG_PRI.exec(text);
  if (pri) {
    const value = Number(pri[1]);
    if (value <= 191) return SYSLOG[value % 8];
  }
  if (text.startsWith('{')) {
    const fromJson = jsonLevel(text);
    if (fromJson !== null) return fromJson;
  }
  return wordLevel(text);
}

/** A level from a JSON object line; null when the line is not a JSON object (so words are tried). */
function jsonLevel(text: string): Level | undefined | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  const log = record.log;
  const nested =
    typeof log === 'object' && log !== null ? (log as Record<string, unknown>).level : undefined;
  for (const value of [
    record.level,
    record.severity,
    record.levelname,
    record.lvl,
    record['log.level'],
    nested,
  ]) {
    const level = levelValue(value);
    if (level) return level;
  }
  return undefined;
}

/** A JSON field's value: a level word, a pino/bunyan number (10..60) or a syslog severity (0..7). */
function levelValue(value: unknown): Level | undefined {
  if (typeof value === 'string') {
    const word = WORDS.get(value.trim().toUpperCase());
    if (word) return word;
    if (/^\d+$/.test(value.trim())) return numericLevel(Number(value));
    return undefined;
  }
  if (typeof value === 'number') return numericLevel(value);
  return undefined;
}

export function numericLevel(n: number): Level | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n < 8 && Number.isInteger(n)) return SYSLOG[n];
  if (n < 10) return undefined;
  if (n < 20) return 'TRACE';
  if (n < 30) return 'DEBUG';
  if (n < 40) return 'INFO';
  if (n < 50) return 'WARN';
  if (n < 60) return 'ERROR';
  return 'FATAL';
}

function wordLevel(text: string): Level | undefined {
  const prefix = text.slice(0, MAX_PREFIX);
  const logfmt = LOGFMT.exec(prefix);
  if (logfmt) {
    const word = WORDS.get(logfmt[2]!.toUpperCase());
    if (word) return word;
  }
  const tokens = prefix.split(/\s+/, MAX_TOKENS);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    // `[ERROR]`, `ERROR:`, `<warn>`, `[core:error]`, `(INFO)`, `|DEBUG|`: split off the punctuation.
    const bracketed = /^[[(<|]/.test(token) || /[\])>|]:?$/.test(token);
    const colon = token.endsWith(':');
    for (const part of token.split(/[^A-Za-z]+/)) {
      if (part.length < 3) continue;
      const upper = part.toUpperCase();
      const level = WORDS.get(upper);
      if (!level) continue;
      // Upper case is a level anywhere near the start; other cases only where
      // the layout says "this is a field" (first token, brackets, a colon).
      if (part === upper || ((i === 0 || bracketed || colon) && CASELESS.has(upper))) return level;
    }
  }
  return undefined;
}
