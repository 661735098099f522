/**
 * Diff + snapshot write, linkgap vs DuckDB: month 2 of `size` prospects against month 1's ledger (90%
 * overlap). linkgap = planDiff + the snapshot writer's column groups through hyparquet-writer; the
 * writer candidate parquet-wasm = the same plan and column groups through Arrow and parquet-wasm;
 * DuckDB = append the same two lists, anti-join for new and departed, COPY … TO (FORMAT parquet).
 * Each engine × size in a fresh process, all in one run of this benchmark.
 */
import type { ParquetWasmPhases } from './support/arrow-parquet.ts';
import { runWorker } from './support/child.ts';
import { type BenchCheck, type BenchResult, type BenchTable, round, runIfMain } from './support/result.ts';

const WORKER = new URL('./workers/diff-engine.ts', import.meta.url).href;
const SIZES = [100_000, 1_000_000];
const ENGINES = ['linkgap', 'parquet-wasm', 'duckdb'] as const;
/**
 * Fresh processes per engine and size. At 100k one run takes about half a second and single runs of
 * either engine swung by ±30 % on the 2-core machine (515–814 ms for linkgap, 481–567 ms for DuckDB in
 * one quiet minute), so each engine runs three times and its median run counts; at 1M once.
 */
const roundsAt = (size: number) => (size <= 100_000 ? 3 : 1);
const WORKER_LIMITS = { timeoutMs: 240_000, maxOldSpaceMb: 8192 };

type EngineRun = EngineFigures & { maxRssMb: number; wasmPhases?: unknown } & Record<string, unknown>;

/** The run with the median total time (the middle one of an odd number of runs). */
function medianRun(runs: EngineRun[]): EngineRun {
  const sorted = [...runs].sort((a, b) => a.totalMs - b.totalMs);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new Error('no run to take the median of');
  return middle;
}

interface EngineFigures {
  loadMs: number;
  diffMs: number;
  writeMs: number;
  totalMs: number;
  newCount: number;
  departed: number;
  bytes: number;
}

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const table: BenchTable = {
    title: 'month-2 diff + Parquet write (prospects, changes)',
    columns: [
      'prospects',
      'engine',
      'load ms',
      'diff/query ms',
      'write ms',
      'total ms',
      'peak RSS MB',
      'new',
      'departed',
      'MB written',
    ],
    rows: [],
  };
  const ratios: BenchTable = {
    title: 'linkgap ÷ DuckDB',
    columns: [
      'prospects',
      'time ratio (total)',
      'time ratio (vs DuckDB query only)',
      'RSS ratio',
      'candidate parquet-wasm: time ratio',
    ],
    rows: [],
  };
  const wasmPhases: BenchTable = {
    title: 'candidate parquet-wasm, write by phase (ms, both files)',
    columns: ['prospects', 'Arrow batches', 'Arrow IPC', 'into wasm', 'wasm write'],
    rows: [],
  };
  const checks: BenchCheck[] = [];
  const goals: Record<string, number> = {};
  for (const size of SIZES) {
    const results: Record<string, EngineRun> = {};
    const runs = new Map<string, EngineRun[]>(ENGINES.map((engine) => [engine, []]));
    // Engines interleaved round by round, so a busy moment hits them all.
    for (let round = 0; round < roundsAt(size); round++) {
      for (const engine of ENGINES) {
        const run = await runWorker<EngineRun>(WORKER, [engine, String(size)], WORKER_LIMITS);
        runs.get(engine)?.push(run);
      }
    }
    for (const engine of ENGINES) {
      const m = medianRun(runs.get(engine) ?? []);
      results[engine] = m;
      table.rows.push([
        size,
        engine,
        Math.round(m.loadMs),
        Math.round(m.diffMs),
        Math.round(m.writeMs),
        Math.round(m.totalMs),
        m.maxRssMb,
        m.newCount,
        m.departed,
        (m.bytes / 1024 / 1024).toFixed(1),
      ]);
    }
    const phases = results['parquet-wasm']?.wasmPhases as ParquetWasmPhases | undefined;
    if (phases)
      wasmPhases.rows.push([
        size,
        Math.round(phases.buildMs),
        Math.round(phases.ipcMs),
        Math.round(phases.loadMs),
        Math.round(phases.writeMs),
      ]);
    const ours = results.linkgap;
    const duck = results.duckdb;
    const wasm = results['parquet-wasm'];
    if (!ours || !duck || !wasm) continue;
    const ratio = ours.totalMs / duck.totalMs;
    if (size === 100_000) goals.diff_write_vs_duckdb_100k = round(ratio, 2);
    if (size === 1_000_000) goals.diff_write_vs_duckdb_1m = round(ratio, 2);
    ratios.rows.push([
      size,
      ratio.toFixed(2),
      (ours.totalMs / duck.diffMs).toFixed(2),
      (ours.maxRssMb / duck.maxRssMb).toFixed(2),
      (wasm.totalMs / duck.totalMs).toFixed(2),
    ]);
    checks.push({
      figure: `time ratio linkgap/DuckDB at ${size}`,
      value: Number(ratio.toFixed(2)),
      target: '≤ 2 (strong peer)',
      pass: ratio <= 2,
    });
    checks.push({
      figure: `same answer at ${size} (new, departed)`,
      value: ours.newCount + ours.departed,
      target: `= ${duck.newCount + duck.departed}`,
      pass: ours.newCount === duck.newCount && ours.departed === duck.departed,
    });
  }
  return {
    name: 'diff-vs-duckdb',
    summary:
      '100k and 1M prospects, 90% overlap; each engine × size in a fresh process (peak RSS includes generating the input); at 100k each engine runs 3 times, interleaved, and the table shows its median run.',
    tables: [table, ratios, wasmPhases],
    goals,
    checks,
    notes: [
      'DuckDB "load" = appending the two JS lists into tables (the data starts in JS in both cases); "diff/query" = the two anti-join COPY statements.',
      'linkgap writes the full contract (15 prospect columns, 10 change columns, every value checked against the contract); the DuckDB SQL writes the same prospect columns and 4 change columns.',
      'parquet-wasm is the Build 2 candidate (bench/support/arrow-parquet.ts): the same plan and column groups as Arrow record batches built directly (one UTF-8 buffer per string column, typed arrays, validity bitmaps, list offsets), written by Rust parquet in wasm; it is measured, not shipped. The wasm module is compiled when it is imported (before the clock starts), its functions on their first call (inside it).',
      'the "target" ≤ 2 is ours, not the issue\'s: the issue asks for the ratio; DuckDB is native, multi-threaded C++.',
    ],
    durationMs: performance.now() - started,
  };
}

await runIfMain(import.meta.url, run);
