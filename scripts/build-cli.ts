/**
 * `npm run build`: the `linkgap` CLI as plain ESM JavaScript in dist/, the folder the package's `bin`
 * points at. Every `await import()` in the sources becomes a chunk loaded only by the command that
 * needs it, so `linkgap --help` parses a few hundred KB instead of compiling TypeScript through tsx.
 * Runs before `npm pack` and `npm publish` (the `prepack` script).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import {
  ESM_REQUIRE_BANNER,
  UNDICI_CLIENT_ONLY,
  ZOD_ENGLISH_ONLY,
  ZOD_RUNTIME_PARSER_ONLY,
} from './esbuild-plugins.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
/** What `bin.linkgap` in package.json names. */
export const CLI_ENTRY = join(DIST, 'linkgap.js');

/**
 * Not bundled, installed as the package's runtime `dependencies`: DuckDB is native (a .node binary per
 * platform). Everything else, the AWS SDK included, is bundled into lazily loaded chunks.
 */
export const RUNTIME_EXTERNALS = ['@duckdb/node-api'];

export const CLI_BUILD_OPTIONS = {
  absWorkingDir: ROOT,
  entryPoints: { linkgap: 'cli/bin.ts' },
  outdir: DIST,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  external: RUNTIME_EXTERNALS,
  banner: { js: ESM_REQUIRE_BANNER },
  minify: true,
  // Licence comments of bundled code go to dist/*.LEGAL.txt; full licence texts to THIRD-PARTY-LICENSES.
  legalComments: 'linked',
  metafile: true,
  // undici as ESM with just what linkgap uses, as in the Lambda bundles: its CommonJS entry, loaded with
  // import() by the webhook channel, came through as a chunk exporting only `default` (no `request`).
  plugins: [ZOD_ENGLISH_ONLY, ZOD_RUNTIME_PARSER_ONLY, UNDICI_CLIENT_ONLY],
  logLevel: 'warning',
} satisfies BuildOptions;

/** Builds dist/ from scratch (stale chunks never linger) and returns esbuild's metafile. */
export async function buildCli(): Promise<Metafile> {
  await rm(DIST, { recursive: true, force: true });
  const result = await build(CLI_BUILD_OPTIONS);
  await writeFile(join(DIST, 'THIRD-PARTY-LICENSES.txt'), await thirdPartyLicenses(result.metafile));
  return result.metafile;
}

/** The licence text of every npm package bundled into dist/, as their licences ask copies to carry. */
async function thirdPartyLicenses(metafile: Metafile): Promise<string> {
  const packageDirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1]) packageDirs.add(match[1]);
  }
  const sections: string[] = [];
  for (const dir of [...packageDirs].sort()) {
    const manifest = JSON.parse(await readFile(join(ROOT, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const text = await licenseText(join(ROOT, dir));
    sections.push(
      `${manifest.name}@${manifest.version} (${manifest.license ?? 'see text'})\n\n${text ?? '(no licence file in the package)'}`,
    );
  }
  return `linkgap bundles the following packages into dist/.\n\n${sections.join(`\n\n${'-'.repeat(72)}\n\n`)}\n`;
}

async function licenseText(packageDir: string): Promise<string | undefined> {
  for (const name of ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE', 'license.md']) {
    const text = await readFile(join(packageDir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) return text.trim();
  }
  return undefined;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const started = performance.now();
  const metafile = await buildCli();
  const bytes = Object.values(metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  // stderr, like esbuild's own messages: `npm pack --json` prints its JSON on stdout after `prepare`.
  console.error(
    `built ${dirname(CLI_ENTRY)}: ${Object.keys(metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KB, ${Math.round(performance.now() - started)} ms`,
  );
}
