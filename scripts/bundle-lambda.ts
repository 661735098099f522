/**
 * One Lambda function's bundle: `tsx scripts/bundle-lambda.ts <entry> <outdir>` writes
 * `<outdir>/index.mjs` (+ its source map). infra/constructs/linkgap-function.ts runs this at synth
 * (local esbuild, never Docker) and bench/cold-start.ts measures what it builds, so the bench and
 * the deployed code cannot drift apart.
 *
 * The AWS SDK is bundled, not left to the runtime: the version in package-lock.json is the one that
 * runs, and marking it external made module initialisation slower (issue 14, ≈ +150 ms).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import {
  ESM_REQUIRE_BANNER,
  UNDICI_CLIENT_ONLY,
  ZOD_ENGLISH_ONLY,
  ZOD_RUNTIME_PARSER_ONLY,
} from './esbuild-plugins.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Never bundled, never imported by a Lambda: DuckDB (native, used by the CLI) and playwright-core
 * (used by report tests). Marking them external keeps an accidental import from dragging native
 * binaries into a bundle.
 */
export const NEVER_BUNDLED = ['@duckdb/*', 'playwright-core'];

/** The esbuild options of every linkgap Lambda bundle; `entry` is relative to the repository root. */
export function lambdaBuildOptions(entry: string, outdir: string) {
  return {
    absWorkingDir: REPO_ROOT,
    entryPoints: { index: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // Every dynamic `import()` (the SDK's credential providers other than the environment's, code
    // linkgap loads only on rare paths) becomes a chunk that a cold start does not load.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    // LINKGAP_RUNTIME (infra/constructs/linkgap-function.ts) is Node.js 24; move both together.
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    // Stack traces still map to file and line; the sources themselves stay out of the zip.
    sourcemap: true,
    sourcesContent: false,
    external: NEVER_BUNDLED,
    metafile: true,
    plugins: [ZOD_ENGLISH_ONLY, ZOD_RUNTIME_PARSER_ONLY, UNDICI_CLIENT_ONLY],
    logLevel: 'warning',
  } satisfies BuildOptions;
}

/** Builds `entry` into `outdir/index.mjs`; returns esbuild's metafile. */
export async function bundleLambda(entry: string, outdir: string): Promise<Metafile> {
  const result = await build(lambdaBuildOptions(entry, outdir));
  return result.metafile;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const [entry, outdir] = process.argv.slice(2);
  if (entry === undefined || outdir === undefined) {
    console.error('usage: tsx scripts/bundle-lambda.ts <entry, e.g. functions/runner/handler.ts> <outdir>');
    process.exit(2);
  }
  await bundleLambda(entry, join(outdir));
}
