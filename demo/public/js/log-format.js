// What a log message means for display: level, source, time and text, from
// the headers (`level`, `source`) and a body that is a plain line or JSON.
// Pure functions: no DOM.

/** The level filter's groups: each toggles these header values in the selector. */
export const LEVEL_GROUPS = [
  { id: 'DEBUG', label: 'Debug', values: ['TRACE', 'DEBUG'] },
  { id: 'INFO', label: 'Info', values: ['INFO', 'NOTICE'] },
  { id: 'WARN', label: 'Warn', values: ['WARN', 'WARNING'] },
  { id: 'ERROR', label: 'Error', values: ['ERROR', 'FATAL', 'CRITICAL'] },
];

const CANONICAL = {
  TRACE: 'TRACE',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  NOTICE: 'INFO',
  WARN: 'WARN',
  WARNING: 'WARN',
  ERROR: 'ERROR',
  ERR: 'ERROR',
  FATAL: 'FATAL',
  CRITICAL: 'FATAL',
};

/** pino/bunyan numeric levels. */
const NUMERIC = [
  [60, 'FATAL'],
  [50, 'ERROR'],
  [40, 'WARN'],
  [30, 'INFO'],
  [20, 'DEBUG'],
  [0, 'TRACE'],
];

export function normalizeLevel(value) {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') return NUMERIC.find(([min]) => value >= min)?.[1] ?? null;
  const upper = String(value).trim().toUpperCase();
  return CANONICAL[upper] ?? (upper.length <= 8 ? upper : null);
}

/**
 * The JMS selector for the chosen level groups; '' (no selector) when every
 * group is on, so lines without a `level` header still show.
 */
export function levelSelector(enabledIds) {
  const enabled = LEVEL_GROUPS.filter((g) => enabledIds.includes(g.id));
  if (enabled.length === LEVEL_GROUPS.length) return '';
  const values = enabled.flatMap((g) => g.values);
  // Nothing chosen: a selector nothing matches (rather than everything).
  if (values.length === 0) return "level = '-'";
  return `level IN (${values.map((v) => `'${v}'`).join(', ')})`;
}

/**
 * Whether a (normalized) level passes the chosen groups: the selector's test,
 * applied again in the page to what the broker sends without filtering
 * (history replay) and to levels found only inside JSON bodies.
 */
export function levelAllowed(level, enabledIds) {
  if (enabledIds.length === LEVEL_GROUPS.length) return true;
  return LEVEL_GROUPS.some((g) => enabledIds.includes(g.id) && g.values.includes(level));
}

/** `/topic/logs.app.web` → `logs.app.web`. */
export function topicName(destination) {
  return destination?.startsWith('/topic/') ? destination.slice(7) : (destination ?? '');
}

const MESSAGE_KEYS = ['msg', 'message', 'text', 'line'];
const LEVEL_KEYS = ['level', 'severity', 'lvl'];
const TIME_KEYS = ['time', 'timestamp', 'ts', '@timestamp'];
const SKIP_KEYS = new Set([
  ...MESSAGE_KEYS,
  ...LEVEL_KEYS,
  ...TIME_KEYS,
  'source',
  'pid',
  'hostname',
  'v',
]);

function parseTime(value) {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const n = Number(value);
    if (Number.isFinite(n) && value.trim() !== '') return n < 1e12 ? n * 1000 : n;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

function fieldText(value) {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  try {
    const json = JSON.stringify(value);
    return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    return String(value);
  }
}

/**
 * One display entry: { id, time, level, source, topic, text, fields, json, history }.
 * A body that looks like JSON but does not parse is shown as the text it is.
 */
export function parseLogMessage(message, now = Date.now()) {
  const headers = message.headers ?? {};
  const raw = typeof message.text === 'string' ? message.text : String(message.body ?? '');
  let text = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  let level = normalizeLevel(headers.level);
  let time = parseTime(headers.timestamp);
  let source = headers.source ?? null;
  let fields = '';
  let json = false;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && text.length < 65_536) {
    try {
      const obj = JSON.parse(text);
      if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
        json = true;
        const key = MESSAGE_KEYS.find((k) => typeof obj[k] === 'string');
        text = key === undefined ? '' : obj[key];
        level ??= normalizeLevel(LEVEL_KEYS.map((k) => obj[k]).find((v) => v !== undefined));
        time ??= parseTime(TIME_KEYS.map((k) => obj[k]).find((v) => v !== undefined));
        if (source === null && typeof obj.source === 'string') source = obj.source;
        const extra = Object.entries(obj).filter(([k]) => !SKIP_KEYS.has(k));
        fields = extra.map(([k, v]) => `${k}=${fieldText(v)}`).join(' ');
        if (text === '' && fields === '') text = raw;
      }
    } catch {
      // Broken JSON: keep the raw line as text.
    }
  }
  const topic = topicName(headers.destination ?? message.destination);
  return {
    id: headers['message-id'] ?? null,
    time: time ?? now,
    level: level ?? '',
    source: source ?? topic.replace(/^logs\./, ''),
    topic,
    text,
    fields,
    json,
    history: headers['x-history'] === 'true',
  };
}
