/**
 * Cold start: the runner and dispatcher bundled by scripts/bundle-lambda.ts (the build the CDK
 * construct runs), their sizes, and their module initialisation time (`await import(index.mjs)` in a
 * fresh `node`), each against a reference bundle that only constructs the AWS clients the function
 * uses, built the same way and timed in the same run (samples interleaved, so a busy moment hits both).
 * A third build per function, "issue-14 build", is the same entry built as NodejsFunction built it
 * before (no plugins, one file), to show what the build itself changes. A fourth, "clients + zod",
 * is the reference that also builds one classic zod schema: the floor under the init ratio (README section 5b).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { bundleLambda, lambdaBuildOptions, REPO_ROOT } from '../scripts/bundle-lambda.ts';
import {
  type BenchCheck,
  type BenchResult,
  type BenchTable,
  median,
  round,
  runIfMain,
} from './support/result.ts';

const run$ = promisify(execFile);
const SAMPLES = Number(process.env.BENCH_COLD_START_SAMPLES ?? 9);
const FUNCTIONS = [
  { name: 'runner', entry: 'functions/runner/handler.ts', maxKb: 1024 },
  { name: 'dispatcher', entry: 'functions/dispatcher/handler.ts', maxKb: 700 },
] as const;
const MAX_INIT_RATIO = 1.3;

interface Built {
  /** The files a cold start loads: the entry and every chunk it imports statically. */
  initBytes: number;
  initGzipBytes: number;
  /** Every JavaScript file in the asset, chunks loaded on demand included. */
  totalBytes: number;
  entryFile: string;
}

async function measureOutput(metafile: Metafile, outdir: string): Promise<Built> {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((path) => path.endsWith('index.mjs'));
  if (entry === undefined) throw new Error('bundle has no index.mjs');
  const loaded = new Set<string>();
  const visit = (path: string) => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.kind === 'import-statement' && outputs[imported.path]) visit(imported.path);
    }
  };
  visit(entry);
  const js = Object.keys(outputs).filter((path) => path.endsWith('.mjs'));
  // Metafile paths are relative to the build's working directory, the repository root.
  const loadedText = await Promise.all([...loaded].map((path) => readFile(join(REPO_ROOT, path))));
  return {
    initBytes: [...loaded].reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0),
    initGzipBytes: gzipSync(Buffer.concat(loadedText)).byteLength,
    totalBytes: js.reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0),
    entryFile: join(outdir, 'index.mjs'),
  };
}

/** The function as NodejsFunction bundled it before issue 14: no plugins, no chunks. */
async function issue14Build(entry: string, outdir: string): Promise<Metafile> {
  const {
    plugins: _plugins,
    splitting: _splitting,
    chunkNames: _chunks,
    ...options
  } = lambdaBuildOptions(entry, outdir);
  return (await build(options)).metafile;
}

/**
 * Wall time of `await import()`, and the CPU time the process spent in it (user + system, every
 * thread): on a busy machine the wall time also counts waiting for a core, the CPU time does not.
 */
async function importTime(file: string): Promise<{ wallMs: number; cpuMs: number }> {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); const wall = performance.now() - t; const u = process.cpuUsage(c); console.log(wall, (u.user + u.system) / 1000);`;
  const { stdout } = await run$(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_NO_WARNINGS: '1' },
  });
  const [wallMs, cpuMs] = (stdout.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  return { wallMs: wallMs ?? Number.NaN, cpuMs: cpuMs ?? Number.NaN };
}

const kb = (bytes: number) => Math.round(bytes / 1024);

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'linkgap-bench-bundle-'));
  const sizes: BenchTable = {
    title: 'bundles (scripts/bundle-lambda.ts; "at init" = index.mjs + the chunks it imports statically)',
    columns: ['bundle', 'at init KB', 'gzip KB', 'all chunks KB', 'build ms'],
    rows: [],
  };
  const times: BenchTable = {
    title: `module init: await import() in a fresh node, median of ${SAMPLES}, samples interleaved`,
    columns: [
      'function',
      'bundle ms',
      'clients-only ms',
      'ratio',
      'issue-14 build ms',
      'min / max (bundle)',
      'CPU ms: bundle / clients only',
      'CPU ratio',
      'CPU ratio, clients + zod import only',
    ],
    rows: [],
  };
  const checks: BenchCheck[] = [];
  const goals: Record<string, number> = {};
  try {
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    for (const fn of FUNCTIONS) {
      const variants = [
        { label: fn.name, entry: fn.entry, build: bundleLambda },
        {
          label: `${fn.name}, clients only`,
          entry: `bench/workers/clients-only/${fn.name}.ts`,
          build: bundleLambda,
        },
        { label: `${fn.name}, issue-14 build`, entry: fn.entry, build: issue14Build },
        {
          label: `${fn.name}, clients + zod`,
          entry: `bench/workers/clients-only/${fn.name}-zod.ts`,
          build: bundleLambda,
        },
      ];
      const built: Built[] = [];
      for (const variant of variants) {
        const outdir = join(dir, variant.label.replace(/\W+/g, '-'));
        const buildStarted = performance.now();
        const metafile = await variant.build(variant.entry, outdir);
        const buildMs = performance.now() - buildStarted;
        const measured = await measureOutput(metafile, outdir);
        built.push(measured);
        sizes.rows.push([
          variant.label,
          kb(measured.initBytes),
          kb(measured.initGzipBytes),
          kb(measured.totalBytes),
          Math.round(buildMs),
        ]);
      }
      const samples: number[][] = built.map(() => []);
      const cpuSamples: number[][] = built.map(() => []);
      for (let i = 0; i < SAMPLES; i++) {
        for (const [index, measured] of built.entries()) {
          const time = await importTime(measured.entryFile);
          samples[index]?.push(time.wallMs);
          cpuSamples[index]?.push(time.cpuMs);
        }
      }
      const [bundleMs, clientsMs, issue14Ms] = samples.map(median) as [number, number, number];
      const [bundleCpuMs, clientsCpuMs, , zodCpuMs] = cpuSamples.map(median) as [
        number,
        number,
        number,
        number,
      ];
      const ratio = bundleMs / clientsMs;
      const bundle = samples[0] ?? [];
      times.rows.push([
        fn.name,
        round(bundleMs, 1),
        round(clientsMs, 1),
        ratio.toFixed(2),
        round(issue14Ms, 1),
        `${Math.min(...bundle).toFixed(0)} / ${Math.max(...bundle).toFixed(0)}`,
        `${bundleCpuMs.toFixed(1)} / ${clientsCpuMs.toFixed(1)}`,
        (bundleCpuMs / clientsCpuMs).toFixed(2),
        (zodCpuMs / clientsCpuMs).toFixed(2),
      ]);
      const sizeKb = kb(built[0]?.initBytes ?? 0);
      goals[`${fn.name}_bundle_kb`] = sizeKb;
      goals[`${fn.name}_init_ratio`] = round(ratio, 2);
      checks.push(
        {
          figure: `${fn.name} bundle loaded at init, KB`,
          value: sizeKb,
          target: `≤ ${fn.maxKb}`,
          pass: sizeKb <= fn.maxKb,
        },
        {
          figure: `${fn.name} module init ÷ clients-only bundle`,
          value: round(ratio, 2),
          target: `≤ ${MAX_INIT_RATIO}`,
          pass: ratio <= MAX_INIT_RATIO,
        },
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    name: 'cold-start',
    summary:
      'what Lambda loads before the first event; deps (SDK clients, config) are built on the first invocation, not at import.',
    tables: [sizes, times],
    checks,
    goals,
    notes: [
      'import time is module evaluation only, on this machine; Lambda adds the runtime start and the zip download, and arm64 at 256 MB has a fraction of a core.',
      '"clients + zod": the clients-only bundle that also imports classic zod as linkgap does and builds one one-field schema; every invocation of either function parses its input with zod, so this is a floor under its init ratio (bench/README.md section 5b).',
      '1 MB = 1,024 KB; "all chunks" adds what loads only on demand (the SDK credential providers other than the environment\'s, which Lambda never needs).',
    ],
    durationMs: performance.now() - started,
  };
}

await runIfMain(import.meta.url, run);
