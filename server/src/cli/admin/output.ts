/**
 * How the admin verbs print: human tables (cli-table3) by default, the
 * broker's JSON untouched with --json. Missing fields print as '' so a
 * newer or older broker still gives a readable table.
 */
import Table from 'cli-table3';

export interface Column<Row> {
  title: string;
  value: (row: Row) => unknown;
  /** Numbers right-aligned. */
  align?: 'left' | 'right';
}

export function printJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A table of rows; `empty` when there are none. */
export function printTable<Row>(rows: readonly Row[], columns: Column<Row>[], empty: string): void {
  if (rows.length === 0) {
    printLine(empty);
    return;
  }
  const table = new Table({
    head: columns.map((c) => c.title),
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) table.push(columns.map((c) => cell(c.value(row))));
  printLine(table.toString());
}

/** Label/value pairs, one per line, for a single object. */
export function printFields(fields: [string, unknown][]): void {
  const table = new Table({ style: { head: [], border: [], compact: true } });
  for (const [label, value] of fields) table.push({ [label]: cell(value) });
  printLine(table.toString());
}

/** A table whose columns are the primitive-valued keys of the rows (for shapes the CLI does not know). */
export function printGenericTable(rows: readonly Record<string, unknown>[], empty: string): void {
  const keys: string[] = [];
  for (const row of rows) {
    for (const key of Object.keys(row)) if (!keys.includes(key)) keys.push(key);
  }
  printTable(
    rows,
    keys.map((key) => ({ title: key, value: (row: Record<string, unknown>) => row[key] })),
    empty,
  );
}

export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toFixed(Math.abs(n) < 10 ? 2 : 1)));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n: unknown): string {
  if (typeof n !== 'number') return '';
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function duration(ms: unknown): string {
  if (typeof ms !== 'number') return '';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A rate per second, '' when absent. */
export function rate(n: unknown): string {
  return typeof n === 'number' ? formatNumber(Math.round(n * 10) / 10) : '';
}

/** A field of a nested object, tolerant of a missing parent. */
export function pick(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Shorten text to one table cell's worth. */
export function preview(text: unknown, max = 60): string {
  if (typeof text !== 'string') return '';
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
