/**
 * A strict parser of the Prometheus text exposition format (0.0.4), written
 * from the format's spec: `# HELP name text`, `# TYPE name type`, then samples
 * `name{label="value",...} value [timestamp]`. It throws on anything that is
 * not valid: a sample whose metric family has no TYPE, a TYPE after samples of
 * its family, a bad name, bad label escaping, a non-numeric value, duplicate
 * series, or histogram buckets that are not cumulative.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const seenSeries = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('exposition must end with a newline');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${line}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (match === null) return; // other comments are allowed
      const [, kind, name, rest] = match as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name in ${where}`);
      let family = families.get(name);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`bad type in ${where}`);
        if (family?.samples.length) throw new Error(`TYPE after samples in ${where}`);
        if (family !== undefined && family.type !== 'untyped')
          throw new Error(`second TYPE in ${where}`);
        family ??= { name, type: 'untyped', help: '', samples: [] };
        family.type = rest as MetricType;
        families.set(name, family);
      } else {
        family ??= { name, type: 'untyped', help: '', samples: [] };
        family.help = rest;
        families.set(name, family);
      }
      return;
    }
    const sample = parseSample(line, where);
    const family = familyOf(families, sample.name);
    if (family === undefined) throw new Error(`sample without a TYPE for its family in ${where}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seenSeries.has(key)) throw new Error(`duplicate series in ${where}`);
    seenSeries.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
    if (family.type === 'counter') {
      for (const s of family.samples) {
        if (s.value < 0) throw new Error(`negative counter ${s.name}`);
      }
    }
  }
  return families;
}

function familyOf(
  families: Map<string, MetricFamily>,
  sampleName: string,
): MetricFamily | undefined {
  const direct = families.get(sampleName);
  if (direct !== undefined) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (family !== undefined && (family.type === 'histogram' || family.type === 'summary')) {
      return family;
    }
  }
  return undefined;
}

function parseSample(line: string, where: string): Sample {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i]!)) i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new Error(`bad sample name in ${where}`);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      let j = i;
      while (j < line.length && /[a-zA-Z0-9_]/.test(line[j]!)) j++;
      const label = line.slice(i, j);
      if (!LABEL_NAME.test(label)) throw new Error(`bad label name in ${where}`);
      if (line[j] !== '=' || line[j + 1] !== '"') throw new Error(`expected ="value" in ${where}`);
      j += 2;
      let value = '';
      for (;;) {
        const c = line[j];
        if (c === undefined) throw new Error(`unterminated label value in ${where}`);
        if (c === '"') break;
        if (c === '\\') {
          const next = line[j + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`bad escape in label value in ${where}`);
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      if (label in labels) throw new Error(`duplicate label ${label} in ${where}`);
      labels[label] = value;
      j++;
      if (line[j] === ',') j++;
      else if (line[j] !== '}') throw new Error(`expected , or } in ${where}`);
      i = j;
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`expected a space before the value in ${where}`);
  const parts = line.slice(i + 1).split(' ');
  if (parts.length > 2) throw new Error(`trailing text in ${where}`);
  const raw = parts[0]!;
  const value =
    raw === '+Inf'
      ? Number.POSITIVE_INFINITY
      : raw === '-Inf'
        ? Number.NEGATIVE_INFINITY
        : Number(raw);
  if (raw === '' || (Number.isNaN(value) && raw !== 'NaN'))
    throw new Error(`bad value in ${where}`);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1]))
    throw new Error(`bad timestamp in ${where}`);
  return { name, labels, value };
}

function checkHistogram(family: MetricFamily): void {
  const buckets = family.samples.filter((s) => s.name === `${family.name}_bucket`);
  const count = family.samples.find((s) => s.name === `${family.name}_count`);
  if (buckets.length === 0 || count === undefined) {
    throw new Error(`histogram ${family.name} lacks buckets or _count`);
  }
  let previous = -1;
  let previousLe = Number.NEGATIVE_INFINITY;
  for (const bucket of buckets) {
    const le = bucket.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket.labels.le);
    if (Number.isNaN(le) || le <= previousLe)
      throw new Error(`histogram ${family.name} le out of order`);
    if (bucket.value < previous) throw new Error(`histogram ${family.name} buckets not cumulative`);
    previous = bucket.value;
    previousLe = le;
  }
  if (previousLe !== Number.POSITIVE_INFINITY)
    throw new Error(`histogram ${family.name} lacks +Inf`);
  if (previous !== count.value) throw new Error(`histogram ${family.name} +Inf bucket != _count`);
}

/** The value of one series; undefined when absent. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const keys = Object.keys(labels);
      if (keys.every((k) => sample.labels[k] === labels[k])) return sample.value;
    }
  }
  return undefined;
}
