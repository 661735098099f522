/**
 * Issue 13 locally: `linkgap demo` and `linkgap run` write each run's report into the local lake and
 * print the digest; `linkgap download --what reports` fetches the reports; `linkgap report --publish`
 * writes the missing ones.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AS_OF, DEMO_CAMPAIGN, linkgap, tempDir } from '#test/support/cli.ts';

function reportFiles(home: string): string[] {
  const root = join(home, 'lake', 'reports', `campaign_id=${DEMO_CAMPAIGN}`);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .flatMap((date) => readdirSync(join(root, date)).map((file) => join(root, date, file)));
}

describe('delivery on a laptop', () => {
  const home = tempDir('delivery');
  const env = { LINKGAP_HOME: home.path };
  let demoOut: string;

  beforeAll(async () => {
    const result = await linkgap(['demo', '--months', '3', '--as-of', DEMO_AS_OF], env);
    if (result.code !== 0) throw new Error(result.stderr);
    demoOut = result.stdout;
  });
  afterAll(() => home.remove());

  it('the demo writes one report per run and prints the latest digest with its report path', () => {
    const files = reportFiles(home.path);
    expect(files.map((file) => file.split('/').at(-2))).toEqual([
      'run_date=2026-05-01',
      'run_date=2026-06-01',
      'run_date=2026-07-01',
    ]);
    expect(demoOut).toContain('The digest of the latest run');
    expect(demoOut).toMatch(/linkgap: .*, run of 2026-07-01/);
    expect(demoOut).toMatch(/New \d+ \| Closed \(earned links\) \d+ \| Lost \d+/);
    expect(demoOut).toContain(`Report: ${files.at(-1)}`);
    expect(readFileSync(files.at(-1) ?? '', 'utf8')).toContain('<!doctype html>');
  });

  it('linkgap run prints the digest of the run it commits, and none for a run already done', async () => {
    const first = await linkgap(['run', '--campaign', DEMO_CAMPAIGN, '--as-of', '2026-08-02'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/linkgap: .*, run of 2026-08-01/);
    expect(first.stdout).toMatch(/Gap: [\d,]+ prospects \([+-][\d,]+ since the previous run\)/);
    expect(first.stdout).toMatch(/Top \d+ new prospects by score:\n 1\. \S+ {2}score [\d.]+, DA \d+/);
    expect(reportFiles(home.path)).toHaveLength(4);
    const again = await linkgap(['run', '--campaign', DEMO_CAMPAIGN, '--as-of', '2026-08-02'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already-done');
    expect(again.stdout).not.toContain('run of 2026-08-01');
  });

  it('download --what reports fetches the HTML reports in the lake layout', async () => {
    const out = tempDir('reports-out');
    try {
      const result = await linkgap(
        ['download', '--campaign', DEMO_CAMPAIGN, '--all', '--what', 'reports', '--out', out.path],
        env,
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/4 report file\(s\)/);
      const copied = readdirSync(join(out.path, 'reports', `campaign_id=${DEMO_CAMPAIGN}`)).sort();
      expect(copied).toEqual([
        'run_date=2026-05-01',
        'run_date=2026-06-01',
        'run_date=2026-07-01',
        'run_date=2026-08-01',
      ]);
      expect(existsSync(join(out.path, 'prospects'))).toBe(false);
    } finally {
      out.remove();
    }
  });

  it('report --publish writes only the missing reports', async () => {
    const [firstReport] = reportFiles(home.path);
    rmSync(firstReport ?? '');
    const result = await linkgap(['report', '--publish', '--campaign', DEMO_CAMPAIGN], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 missing report(s)');
    expect(existsSync(firstReport ?? '')).toBe(true);
    // The report of the first run shows that run only: it was written as of that run.
    expect(readFileSync(firstReport ?? '', 'utf8')).toContain(
      '1 committed run(s) from 2026-05-01 to 2026-05-01',
    );
    const again = await linkgap(['report', '--publish', '--campaign', DEMO_CAMPAIGN], env);
    expect(again.stdout).toContain('0 missing report(s)');
  });
});

describe('a webhook that refuses the digest', () => {
  it('is said on stderr without --verbose, and the run still succeeds', async () => {
    const home = tempDir('delivery-webhook');
    let posts = 0;
    const server = createServer((req, res) => {
      posts += 1;
      req.resume();
      req.on('end', () => res.writeHead(500).end('down'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await linkgap(['demo', '--months', '1', '--as-of', DEMO_AS_OF], {
        LINKGAP_HOME: home.path,
        LINKGAP_DIGEST_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(posts).toBeGreaterThan(0);
      expect(result.stderr).toMatch(
        new RegExp(`${DEMO_CAMPAIGN} 2026-07-01: the digest could not be delivered to webhook`),
      );
      // The URL itself (it may hold a token) is never printed.
      expect(result.stderr).not.toContain(`127.0.0.1:${port}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      home.remove();
    }
  });
});
