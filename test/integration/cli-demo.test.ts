import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { decodeManifest } from '#lake/manifest.ts';
import { DEMO_AS_OF, DEMO_CAMPAIGN, linkgap, tempDir } from '#test/support/cli.ts';

/**
 * `npm start` is `linkgap demo`: six months, a table per month, where the files are, and one
 * cookbook query with its answer. Run twice, it is still correct: finished months are no-ops.
 */
describe('linkgap demo (npm start)', () => {
  const home = tempDir('demo');
  const env = { LINKGAP_HOME: home.path, MOZ_TOKEN: 'never-used-by-the-demo' };
  let first = { code: -1, stdout: '', stderr: '' };
  let second = { code: -1, stdout: '', stderr: '' };

  beforeAll(async () => {
    first = await linkgap(['demo', '--as-of', DEMO_AS_OF], env);
    second = await linkgap(['demo', '--as-of', DEMO_AS_OF], env);
  }, 120_000);
  afterAll(() => home.remove());

  const monthRows = (stdout: string) =>
    stdout.split('\n').filter((line) => /^20\d\d-\d\d {2}/.test(line) && /(ran|already done)/.test(line));

  it('replays six months, each with gap, new, closed, lost, unverified, reopened, rows and closure rate', async () => {
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /month\s+run\s+gap\s+new\s+closed\s+lost\s+unverified\s+reopened\s+moz_rows\s+closure_rate/,
    );
    const rows = monthRows(first.stdout);
    expect(rows.map((line) => line.slice(0, 7))).toEqual([
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
    ]);
    expect(rows.every((line) => / ran /.test(line))).toBe(true);

    // Each printed row agrees with the manifest the run committed.
    const lake = createFsObjectStore(`${home.path}/lake`);
    const manifests = await Promise.all(
      (await lake.list('runs/')).map(async (key) =>
        decodeManifest((await lake.get(key)) ?? new Uint8Array()),
      ),
    );
    expect(manifests).toHaveLength(6);
    for (const manifest of manifests) {
      const row = rows.find((line) => line.startsWith(manifest.run_date.slice(0, 7)))?.split(/\s+/) ?? [];
      expect(row.slice(2, 9).map(Number)).toEqual([
        manifest.gap_size,
        manifest.new_count,
        manifest.closed_count,
        manifest.lost_count,
        manifest.unverified_count,
        manifest.reopened_count,
        manifest.rows_consumed,
      ]);
    }
  });

  it('says where the files are and answers one cookbook query', () => {
    expect(first.stdout).toContain(`${home.path}/lake/prospects/campaign_id=acme-trail-shoes/`);
    expect(first.stdout).toContain('linkgap query --cookbook monthly-closure-rate');
    expect(first.stdout).toMatch(/month\s+closed\s+previous_gap_size\s+closure_rate/);
    expect(first.stdout).toMatch(/^2026-07\s+\d+\s+\d+\s+0\.\d+$/m);
  });

  it('run again, every month is already done and the table is unchanged', () => {
    expect(second.code).toBe(0);
    const again = monthRows(second.stdout);
    expect(again.every((line) => /already done/.test(line))).toBe(true);
    const figures = (line: string) => line.replace(/already done|ran/, '').replace(/\s+/g, ' ');
    expect(again.map(figures)).toEqual(monthRows(first.stdout).map(figures));
  });
});

describe('a file the CLI cannot write (after the demo, as a new user would)', () => {
  const home = tempDir('unwritable');
  const env = { LINKGAP_HOME: home.path };
  beforeAll(async () => {
    await linkgap(['demo', '--months', '1', '--as-of', DEMO_AS_OF], env);
  }, 60_000);
  afterAll(() => home.remove());

  it('is one line that says why in words, exit 2, for the review queue and the report', async () => {
    const missingFolder = join(home.path, 'no-such-folder', 'queue.csv');
    expect(
      await linkgap(['review', 'export', '--campaign', DEMO_CAMPAIGN, '--out', missingFolder], env),
    ).toMatchObject({ code: 2, stderr: `linkgap: cannot write ${missingFolder}: its folder does not exist` });
    expect(await linkgap(['report', '--campaign', DEMO_CAMPAIGN, '--out', home.path], env)).toMatchObject({
      code: 2,
      stderr: `linkgap: cannot write ${home.path}: it is a folder, not a file`,
    });
  });
});
