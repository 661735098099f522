/**
 * What every benchmark returns, and how it is printed. A benchmark prints figures; `checks` say
 * which figures have a target and whether this machine met it (a miss is a finding, not a failure).
 */
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';

export interface BenchTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface BenchCheck {
  /** What is measured, e.g. "quota ratio, shape B, 30% faults". */
  figure: string;
  value: number;
  /** Human target, e.g. "= 1.00" or "≤ 1.05". */
  target: string;
  pass: boolean;
}

export interface BenchResult {
  name: string;
  /** One line: what the benchmark measures and how it is sized. */
  summary: string;
  tables: BenchTable[];
  checks: BenchCheck[];
  /**
   * This benchmark's figures for the goals of issue 14, under the keys bench/all.ts collects into
   * results.json's top-level `goals` (see GOAL_KEYS there). Only the keys it measured.
   */
  goals?: Record<string, number>;
  notes: string[];
  durationMs: number;
}

export interface MachineInfo {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  totalMemoryMb: number;
  date: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    date: new Date().toISOString(),
  };
}

function cell(value: string | number | null): string {
  if (value === null) return '–';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 10
      ? value.toFixed(1)
      : value.toFixed(3);
}

export function formatTable(table: BenchTable): string {
  const cells = [table.columns, ...table.rows.map((row) => row.map(cell))];
  const widths = table.columns.map((_, index) => Math.max(...cells.map((row) => (row[index] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((text, index) =>
        index === 0 ? text.padEnd(widths[index] ?? 0) : text.padStart(widths[index] ?? 0),
      )
      .join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    `  ${table.title}`,
    `  ${line(table.columns)}`,
    `  ${rule}`,
    ...cells.slice(1).map((row) => `  ${line(row)}`),
  ].join('\n');
}

export function formatResult(result: BenchResult): string {
  const parts = [
    `\n== ${result.name} (${(result.durationMs / 1000).toFixed(1)} s) ==`,
    `  ${result.summary}`,
  ];
  for (const table of result.tables) parts.push('', formatTable(table));
  if (result.checks.length > 0) {
    parts.push(
      '',
      formatTable({
        title: 'targets',
        columns: ['figure', 'value', 'target', 'result'],
        rows: result.checks.map((check) => [
          check.figure,
          check.value,
          check.target,
          check.pass ? 'pass' : 'MISS',
        ]),
      }),
    );
  }
  for (const note of result.notes) parts.push(`  note: ${note}`);
  return parts.join('\n');
}

/** Runs `run` and prints its result when the file is executed directly (`npx tsx bench/quota.ts`). */
export async function runIfMain(moduleUrl: string, run: () => Promise<BenchResult>): Promise<void> {
  const entry = process.argv[1];
  if (entry === undefined || pathToFileURL(entry).href !== moduleUrl) return;
  const result = await run();
  console.log(formatResult(result));
}

/** Wall time of `work` in ms. */
export async function timed<T>(work: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
