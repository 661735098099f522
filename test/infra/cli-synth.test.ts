import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/paths.ts';
import { removeSynthOutputs, tempOutdir } from './synth.ts';

afterAll(removeSynthOutputs);

const run = promisify(execFile);

/**
 * The one test that bundles for real: `npm run synth` as a newcomer runs it, so the functions are
 * built by the local esbuild (never Docker), the built-in CloudFormation validation and cdk-nag run,
 * and nothing may need an AWS account.
 */
it('synthesizes through the real CLI with no AWS account, bundling ESM functions locally', async () => {
  const outdir = tempOutdir();
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' };
  for (const key of [
    'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_REGION',
  ]) {
    delete env[key];
  }
  const { stdout } = await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', outdir], {
    cwd: REPO_ROOT,
    env,
    timeout: 120_000,
  });
  // execFile rejects on a non-zero exit. Under CI=true the CDK CLI prints informational notices
  // (such as unconfigured feature flags) on stdout, so only errors and nag findings are refused.
  expect(stdout).not.toMatch(/error|AwsSolutions-|Synthesis finished with/i);

  const template = JSON.parse(readFileSync(join(outdir, 'Linkgap.template.json'), 'utf8'));
  const functions = Object.values<{ Type: string; Properties: { Code: { S3Key: string } } }>(
    template.Resources,
  ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
  expect(functions).toHaveLength(2);
  for (const fn of functions) {
    const assetDir = join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    // The entry, its source map, and the chunks it loads (some only on demand), each with its map.
    const files = readdirSync(assetDir, { recursive: true, encoding: 'utf8' }).sort();
    const chunks = files.filter((file) => file.startsWith('chunks/'));
    expect(files.filter((file) => !file.startsWith('chunks/'))).toEqual([
      'chunks',
      'index.mjs',
      'index.mjs.map',
    ]);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((file) => /^chunks\/[\w-]+\.mjs(\.map)?$/.test(file))).toBe(true);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    // The createRequire banner, then a minified body that never pulls in DuckDB's native bindings.
    expect(code.startsWith("import { createRequire as __linkgapCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(code).not.toContain('@duckdb/node-bindings');
    // zod's message locales and the parts of undici the Moz client never uses are left out.
    const all = chunks
      .filter((file) => file.endsWith('.mjs'))
      .map((file) => readFileSync(join(assetDir, file), 'utf8'));
    for (const text of [code, ...all]) {
      expect(text).not.toMatch(/Zbyt (du|ma)ż/); // zod's Polish locale
      expect(text).not.toContain('fetch failed'); // undici's fetch()
    }
  }
}, 120_000);
