/**
 * Helpers for the CLI suites (test/integration/cli-*.test.ts): run `main` in-process with captured
 * output, and build a lake from the embedded simulator once per file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CampaignInput } from '#domain/campaign.ts';
import { main } from '../../cli/main.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `linkgap <argv>` in this process with the given environment; output is captured, never printed. */
export async function linkgap(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    env,
    output: { out: (text) => out.push(text), err: (text) => err.push(text) },
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `linkgap-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A campaign file as a person writes it: only the required fields, the rest left to the defaults.
 * `overrides` may hold keys the schema does not know, for the tests of what the CLI does with them.
 */
export function aCampaignFile(
  dir: string,
  overrides: Partial<CampaignInput> & Record<string, unknown> = {},
  name = 'campaign.json',
): string {
  const campaign = {
    id: 'trail-shoes',
    name: 'Trail shoes',
    site: [{ target: 'acme.example', scope: 'root_domain' }],
    competitors: [
      { target: 'rival-a.example', scope: 'root_domain' },
      { target: 'rival-b.example', scope: 'root_domain' },
    ],
    ...overrides,
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(campaign));
  return path;
}

/** The demo's last month in every suite, so answers do not depend on today's date. */
export const DEMO_AS_OF = '2026-07-15';
export const DEMO_CAMPAIGN = 'acme-trail-shoes';

/** A LINKGAP_HOME holding the demo campaign and `months` committed monthly runs ending 2026-07-01. */
export async function demoHome(
  months: number,
): Promise<{ home: string; env: Record<string, string>; remove(): void }> {
  const dir = tempDir('home');
  const env = { LINKGAP_HOME: dir.path };
  const result = await linkgap(['demo', '--months', String(months), '--as-of', DEMO_AS_OF], env);
  if (result.code !== 0) throw new Error(`demo failed (${result.code}): ${result.stderr}\n${result.stdout}`);
  return { home: dir.path, env, remove: dir.remove };
}
