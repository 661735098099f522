/**
 * Cold start: the runner and dispatcher bundled as the CDK construct bundles them (esbuild, minified,
 * ESM, node22, createRequire banner), their sizes raw and gzipped, and the module initialisation time:
 * `await import(bundle)` in a fresh `node` process, median of 5.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { type BenchResult, type BenchTable, median, runIfMain } from './support/result.ts';

const run$ = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BANNER =
  "import { createRequire as __linkgapCreateRequire } from 'node:module'; const require = __linkgapCreateRequire(import.meta.url);";
const ENTRIES = [
  { name: 'runner', entry: 'functions/runner/handler.ts' },
  { name: 'dispatcher', entry: 'functions/dispatcher/handler.ts' },
];
const SAMPLES = 5;

async function importTimeMs(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const { stdout } = await run$(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_NO_WARNINGS: '1' },
  });
  return Number(stdout.trim().split('\n').at(-1));
}

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'linkgap-bench-bundle-'));
  const table: BenchTable = {
    title: `bundles (esbuild minify, esm, node22) and import time in a fresh node, median of ${SAMPLES}`,
    columns: ['function', 'raw KB', 'gzip KB', 'build ms', 'import ms (median)', 'min', 'max'],
    rows: [],
  };
  try {
    for (const { name, entry } of ENTRIES) {
      const outfile = join(dir, `${name}.mjs`);
      const buildStarted = performance.now();
      await build({
        entryPoints: [join(ROOT, entry)],
        outfile,
        bundle: true,
        minify: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: { js: BANNER },
        external: ['@duckdb/*', 'playwright-core'],
        logLevel: 'silent',
      });
      const buildMs = performance.now() - buildStarted;
      await writeFile(join(dir, 'package.json'), '{"type":"module"}');
      const bytes = await readFile(outfile);
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) times.push(await importTimeMs(outfile));
      table.rows.push([
        name,
        (bytes.byteLength / 1024).toFixed(0),
        (gzipSync(bytes).byteLength / 1024).toFixed(0),
        Math.round(buildMs),
        median(times).toFixed(1),
        Math.min(...times).toFixed(1),
        Math.max(...times).toFixed(1),
      ]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    name: 'cold-start',
    summary:
      'what Lambda loads before the first event; deps (SDK clients, config) are built on the first invocation, not at import.',
    tables: [table],
    checks: [],
    notes: [
      'import time is module evaluation only, on this machine; Lambda adds the runtime start and the zip download, and arm64 at 256 MB has a fraction of a core.',
    ],
    durationMs: performance.now() - started,
  };
}

await runIfMain(import.meta.url, run);
