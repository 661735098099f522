/**
 * `npm run bench`: every benchmark in sequence, one table each, then bench/results.json.
 * Run one alone with `npx tsx bench/<name>.ts`. BENCH_FULL=1 adds the 1M-prospect pipeline run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { run as cliStartup } from './cli-startup.ts';
import { run as coldStart } from './cold-start.ts';
import { run as diffVsDuckdb } from './diff-vs-duckdb.ts';
import { type EarlierResults, mergeResults } from './goals.ts';
import { run as quota } from './quota.ts';
import { run as rateLimit } from './rate-limit.ts';
import { run as scale } from './scale.ts';
import { run as scan } from './scan.ts';
import { type BenchResult, formatResult, formatTable, machineInfo } from './support/result.ts';

const BENCHMARKS: [string, () => Promise<BenchResult>][] = [
  ['quota', quota],
  ['rate-limit', rateLimit],
  ['scale', scale],
  ['diff-vs-duckdb', diffVsDuckdb],
  ['cold-start', coldStart],
  ['cli-startup', cliStartup],
  ['scan', scan],
];

const only = process.argv.slice(2);
const machine = machineInfo();
console.log(
  `linkgap benchmarks on ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, ${machine.date}`,
);
const started = performance.now();
const results: (BenchResult | { name: string; error: string })[] = [];
for (const [name, run] of BENCHMARKS) {
  if (only.length > 0 && !only.includes(name)) continue;
  try {
    const result = await run();
    results.push(result);
    console.log(formatResult(result));
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    results.push({ name, error: message });
    console.log(`\n== ${name}: FAILED ==\n${message}`);
  }
}
const totalMs = performance.now() - started;
const summary = results.flatMap((result) =>
  'checks' in result ? result.checks.map((check) => ({ benchmark: result.name, ...check })) : [],
);
const output = new URL('./results.json', import.meta.url);
// A run of some benchmarks replaces theirs and keeps the rest (goals.ts mergeResults).
const earlier = await readFile(output, 'utf8').then(
  (text) => JSON.parse(text) as EarlierResults<(typeof results)[number]>,
  () => undefined,
);
const merged = mergeResults(earlier, results, machine.date);
const goalFigures = merged.figures;
await writeFile(
  output,
  `${JSON.stringify(
    {
      machine,
      totalMs,
      goals: merged.goals,
      goalsMeasuredAt: merged.goalsMeasuredAt,
      goalsNotMeasured: merged.goalsNotMeasured,
      results: merged.results,
      // Every kept benchmark's checks, not only this run's.
      summary: merged.results.flatMap((result) =>
        'checks' in result ? result.checks.map((check) => ({ benchmark: result.name, ...check })) : [],
      ),
    },
    null,
    2,
  )}\n`,
);
console.log(
  `\n${formatTable({
    title: 'issue 14 goals (results.json "goals")',
    columns: ['figure', 'value', 'goal', 'result'],
    rows: goalFigures.map((figure) => [
      figure.key,
      figure.value,
      figure.goal,
      figure.met === null
        ? `not measured: ${figure.missing}`
        : `${figure.met ? 'met' : 'MISSED'}${figure.measuredAt === machine.date ? '' : ` (measured ${figure.measuredAt})`}`,
    ]),
  })}`,
);
const misses = summary.filter((check) => !check.pass);
console.log(
  `\nall benchmarks: ${(totalMs / 1000).toFixed(0)} s; ${summary.length - misses.length}/${summary.length} targets met; wrote bench/results.json`,
);
for (const miss of misses)
  console.log(`  MISS ${miss.benchmark}: ${miss.figure} = ${miss.value} (target ${miss.target})`);
