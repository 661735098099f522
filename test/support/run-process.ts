// `linkgap run` as a real process, for the tests that interrupt one with real signals, and what they
// wait on: the pages it has checkpointed, a condition polled with a bound.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileCampaignStore } from '#adapters/local/file-stores.ts';
import type { Campaign } from '#domain/campaign.ts';
import { tempDir } from './cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface FinishedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  exitedAt: number;
}

export interface RunProcessOptions {
  home: string;
  campaignId: string;
  asOf: string;
  mozBaseUrl: string;
  mozToken: string;
  /** One request per this many ms, so that a run takes a few seconds (unset: the CLI's own rate). */
  intervalMs?: number;
  /** More environment for the run (MOZ_TIMEOUT_MS, MOZ_MAX_ATTEMPTS, ...). */
  env?: Record<string, string>;
}

/** Fresh temp LINKGAP_HOMEs, each holding `campaign`; `removeAll` deletes every one made. */
export function campaignHomes(
  prefix: string,
  campaign: Campaign,
): { newHome(): Promise<string>; removeAll(): void } {
  const homes: { remove(): void }[] = [];
  return {
    async newHome() {
      const dir = tempDir(prefix);
      homes.push(dir);
      await createFileCampaignStore(dir.path).put(campaign);
      return dir.path;
    },
    removeAll: () => {
      for (const home of homes) home.remove();
    },
  };
}

/** `linkgap run --campaign … --as-of …` from source, its stdout and stderr kept. */
export function spawnLinkgapRun(options: RunProcessOptions): {
  child: ChildProcess;
  done: Promise<FinishedRun>;
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/bin.ts', 'run', '--campaign', options.campaignId, '--as-of', options.asOf],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        LINKGAP_HOME: options.home,
        MOZ_API_BASE_URL: options.mozBaseUrl,
        MOZ_TOKEN: options.mozToken,
        ...(options.intervalMs === undefined
          ? {}
          : { MOZ_REQUESTS_PER_INTERVAL: '1', MOZ_INTERVAL_MS: String(options.intervalMs) }),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const done = new Promise<FinishedRun>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout, exitedAt: Date.now() }));
  });
  return { child, done };
}

/** Intersect pages the run in `home` has checkpointed so far. */
export async function savedPages(home: string): Promise<number> {
  const files = await readdir(join(home, 'lake', 'staging'), { recursive: true }).catch(() => [] as string[]);
  return files.filter((file) => String(file).includes('pages') && String(file).endsWith('.json')).length;
}

/** Polls `check` every 20 ms until it holds, or fails naming `what` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
