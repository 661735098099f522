import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeManifest } from '#lake/manifest.ts';
import { DEMO_AS_OF, DEMO_CAMPAIGN, tempDir } from '#test/support/cli.ts';

/**
 * The package as a user gets it: `npm pack` (whose `prepack` builds dist/), `npm install <tarball>`
 * into an empty folder, then the installed `linkgap` run from a folder that holds nothing else:
 * --version, demo, a cookbook query and a CSV download. Nothing here runs the clone's sources.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run$ = promisify(execFile);
const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** The parent `npm test` exports its own project's settings (local prefix, package fields): drop them. */
function npmEnvironment(): NodeJS.ProcessEnv {
  const kept = ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'];
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !(name.startsWith('npm_') || name === 'INIT_CWD') || kept.includes(name),
    ),
  );
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run$('npm', args, { cwd, env: npmEnvironment(), timeout: 150_000 });
  return stdout;
}

describe('linkgap installed from its packed tarball', () => {
  const work = tempDir('package');
  const installDir = join(work.path, 'install');
  const userFolder = join(work.path, 'empty-folder');
  let packedFiles: string[] = [];
  let bin = '';

  /** Runs the installed `linkgap` in a folder that holds nothing but what it writes itself. */
  async function installed(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return installedWith({}, ...args);
  }

  async function installedWith(
    extraEnv: Record<string, string>,
    ...args: string[]
  ): Promise<{ stdout: string; stderr: string }> {
    // A clean environment: no LINKGAP_HOME or Moz credentials leak in from the test runner.
    const env = { PATH: process.env.PATH ?? '', HOME: work.path, CI: 'true', ...extraEnv };
    try {
      return await run$(bin, args, { cwd: userFolder, env, timeout: 60_000 });
    } catch (error) {
      const failed = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `linkgap ${args.join(' ')} failed: ${failed.stderr || failed.stdout || failed.message}`,
      );
    }
  }

  beforeAll(async () => {
    const [packed] = JSON.parse(await npm(['pack', '--json', '--pack-destination', work.path], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    if (!packed) throw new Error('npm pack printed no package');
    packedFiles = packed.files.map((file) => file.path);
    // Its own package.json, so npm installs here and never into a folder further up.
    await mkdir(installDir, { recursive: true });
    await writeFile(
      join(installDir, 'package.json'),
      '{ "name": "linkgap-install-check", "private": true }\n',
    );
    await npm(
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work.path, packed.filename)],
      installDir,
    );
    await mkdir(userFolder, { recursive: true });
    bin = join(installDir, 'node_modules', '.bin', 'linkgap');
  }, 240_000);
  afterAll(() => work.remove());

  it('packs only what the CLI needs: the built dist/, its licences, the README and package.json', () => {
    expect(packedFiles).toContain('dist/linkgap.js');
    expect(packedFiles).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/THIRD-PARTY-LICENSES.txt']),
    );
    const unexpected = packedFiles.filter(
      (path) => !path.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(path),
    );
    expect(unexpected).toEqual([]);
    expect(packedFiles.filter((path) => path.endsWith('.ts') || path.includes('.linkgap'))).toEqual([]);
    expect(packedFiles.some((path) => path.startsWith('dist/chunks/'))).toBe(true);
  });

  it('installs with DuckDB as its only runtime dependency, and runs from the install, not the clone', async () => {
    const manifest = JSON.parse(
      await readFile(join(installDir, 'node_modules', 'linkgap', 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string>; bin: Record<string, string>; license: string };
    expect(Object.keys(manifest.dependencies)).toEqual(['@duckdb/node-api']);
    expect(manifest.license).toBe('Apache-2.0');
    const installed = await readdir(join(installDir, 'node_modules'));
    expect(installed).not.toContain('tsx');
    expect(installed).not.toContain('@aws-sdk');
    expect(await realpath(bin)).toBe(
      join(await realpath(installDir), 'node_modules/linkgap/dist/linkgap.js'),
    );
    const license = await readFile(join(installDir, 'node_modules', 'linkgap', 'LICENSE'), 'utf8');
    expect(license).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
  });

  it('1. linkgap --version prints the package version', async () => {
    expect((await installed('--version')).stdout.trim()).toBe(version);
  });

  it('2. linkgap demo works in an empty folder, and its manifests record that same version', async () => {
    const { stdout } = await installed('demo', '--as-of', DEMO_AS_OF);
    expect(stdout).toContain(`linkgap demo: campaign ${DEMO_CAMPAIGN}`);
    expect(stdout.split('\n').filter((line) => /^2026-0[2-7] {2}\s*ran /.test(line))).toHaveLength(6);
    expect(stdout).toMatch(/closure_rate/);

    const runsFolder = join(userFolder, '.linkgap', 'lake', 'runs');
    const manifests = (await readdir(runsFolder, { recursive: true })).filter((path) =>
      path.endsWith('.json'),
    );
    expect(manifests).toHaveLength(6);
    for (const path of manifests) {
      const manifest = decodeManifest(await readFile(join(runsFolder, path)));
      expect(manifest.software_version).toBe(version);
    }
  });

  it('3. linkgap query runs a cookbook query through the installed DuckDB', async () => {
    const { stdout } = await installed(
      'query',
      '--cookbook',
      'monthly-closure-rate',
      '--campaign',
      DEMO_CAMPAIGN,
      '--format',
      'csv',
    );
    const [header, ...rows] = stdout.trim().split('\n');
    expect(header).toMatch(/^month,.*closure_rate/);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.every((row) => /^2026-0[2-7]/.test(row))).toBe(true);
  });

  it('4. linkgap download --format csv writes the latest prospects as CSV', async () => {
    const { stdout } = await installed(
      'download',
      '--campaign',
      DEMO_CAMPAIGN,
      '--format',
      'csv',
      '--out',
      'exports',
    );
    expect(stdout).toContain('1 csv file(s)');
    const csv = await readFile(
      join(userFolder, 'exports', `${DEMO_CAMPAIGN}-prospects-2026-07-01.csv`),
      'utf8',
    );
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toMatch(/source/);
    expect(lines.length).toBeGreaterThan(10);
  });

  it("5. the installed linkgap sends each run's digest to LINKGAP_DIGEST_WEBHOOK_URL", async () => {
    // The webhook channel loads its HTTP client on first use: the bundled import must work too.
    const posts: { contentType: string | undefined; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        posts.push({
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await installedWith(
        {
          LINKGAP_HOME: join(work.path, 'webhook-home'),
          LINKGAP_DIGEST_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
        },
        'demo',
        '--as-of',
        DEMO_AS_OF,
      );
      expect(posts).toHaveLength(6);
      for (const post of posts) {
        expect(post.contentType).toMatch(/application\/json/);
        expect((JSON.parse(post.body) as { text: string }).text).toContain(DEMO_CAMPAIGN);
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
