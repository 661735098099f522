/**
 * CLI start-up: wall time from spawning `linkgap` to its exit, for `--help` and for `campaign list`
 * on an empty home, compared in the same run with bare Node (`node -e ''`) and with the CLI run from
 * source through tsx (how the bin started before dist/). Samples are interleaved so a busy moment
 * hits every case alike; the median is reported.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildCli, CLI_ENTRY, ROOT } from '../scripts/build-cli.ts';
import { type BenchResult, type BenchTable, median, runIfMain } from './support/result.ts';

const run$ = promisify(execFile);
const SAMPLES = 15;
/** The target: the built CLI starts within this many times bare Node's start-up. */
const MAX_RATIO = 4;

interface StartupCase {
  name: string;
  args: string[];
  /** Compared with bare Node against MAX_RATIO. */
  checked: boolean;
}

async function wallMs(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  await run$(process.execPath, [...args], { cwd: ROOT, env, timeout: 30_000 });
  return performance.now() - started;
}

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  await buildCli();
  const home = await mkdtemp(join(tmpdir(), 'linkgap-bench-home-'));
  const env = { PATH: process.env.PATH ?? '', LINKGAP_HOME: home, NODE_NO_WARNINGS: '1' };
  const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const cases: StartupCase[] = [
    { name: "node -e ''", args: ['-e', ''], checked: false },
    { name: 'linkgap --help', args: [CLI_ENTRY, '--help'], checked: true },
    { name: 'linkgap campaign list (empty home)', args: [CLI_ENTRY, 'campaign', 'list'], checked: true },
    { name: 'from source via tsx: --help', args: [tsx, 'cli/bin.ts', '--help'], checked: false },
    {
      name: 'from source via tsx: campaign list',
      args: [tsx, 'cli/bin.ts', 'campaign', 'list'],
      checked: false,
    },
  ];
  const samples = cases.map((): number[] => []);
  try {
    for (const startupCase of cases) await wallMs(startupCase.args, env); // warm the file cache and tsx's
    for (let round = 0; round < SAMPLES; round++) {
      for (const [index, startupCase] of cases.entries())
        samples[index]?.push(await wallMs(startupCase.args, env));
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  const bareNode = median(samples[0] ?? []);
  const table: BenchTable = {
    title: `wall time of one process, spawn to exit, median of ${SAMPLES} interleaved samples`,
    columns: ['command', 'median ms', 'min', 'max', '× bare node'],
    rows: cases.map((startupCase, index) => {
      const times = samples[index] ?? [];
      return [
        startupCase.name,
        median(times),
        Math.min(...times),
        Math.max(...times),
        median(times) / bareNode,
      ];
    }),
  };
  return {
    name: 'cli-startup',
    summary:
      'how long `linkgap` takes to start and answer, built (dist/) and from source, against bare Node.',
    tables: [table],
    checks: cases.flatMap((startupCase, index) =>
      startupCase.checked
        ? [
            {
              figure: `${startupCase.name} ÷ node -e ''`,
              value: median(samples[index] ?? []) / bareNode,
              target: `≤ ${MAX_RATIO}`,
              pass: median(samples[index] ?? []) / bareNode <= MAX_RATIO,
            },
          ]
        : [],
    ),
    notes: [
      'the goal is at most 4× bare Node, about 200 ms on an idle machine; other processes on a shared machine move every row alike.',
    ],
    durationMs: performance.now() - started,
  };
}

await runIfMain(import.meta.url, run);
