import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_BOM } from '#lake/csv.ts';
import { prospectsKey } from '#lake/keys.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { PROSPECT_COLUMNS } from '#lake/schema.ts';
import { DEMO_CAMPAIGN, demoHome, linkgap, tempDir } from '#test/support/cli.ts';

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

describe('linkgap download (local lake)', () => {
  let demo: Awaited<ReturnType<typeof demoHome>>;
  let out: ReturnType<typeof tempDir>;
  let lakeRoot: string;
  beforeAll(async () => {
    demo = await demoHome(3);
    lakeRoot = join(demo.home, 'lake');
    out = tempDir('download');
  });
  afterAll(() => {
    demo?.remove();
    out?.remove();
  });

  const committedFiles = (table: string) =>
    filesUnder(lakeRoot).filter((key) => key.startsWith(`${table}/`) && !key.includes('staging'));

  it('copies Parquet files byte for byte in the lake layout, manifests included, so the folder is queryable', async () => {
    const dir = join(out.path, 'all-parquet');
    const result = await linkgap(
      [
        'download',
        '--campaign',
        DEMO_CAMPAIGN,
        '--all',
        '--what',
        'all',
        '--format',
        'parquet',
        '--out',
        dir,
      ],
      demo.env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`downloaded ${DEMO_CAMPAIGN} 3 runs (2026-05-01 to 2026-07-01)`);
    const lakeFiles = [
      ...committedFiles('prospects'),
      ...committedFiles('changes'),
      ...committedFiles('runs'),
    ].sort();
    expect(lakeFiles).toHaveLength(9);
    expect(filesUnder(dir)).toEqual(lakeFiles);
    for (const key of lakeFiles)
      expect(readFileSync(join(dir, key)).equals(readFileSync(join(lakeRoot, key)))).toBe(true);

    const query = await linkgap(
      [
        'query',
        '--lake',
        dir,
        '--format',
        'json',
        `SELECT count(*) AS runs FROM runs WHERE campaign_id = '${DEMO_CAMPAIGN}'`,
      ],
      {},
    );
    expect(JSON.parse(query.stdout)).toEqual([{ runs: 3 }]);
  });

  it('downloads the latest run by default, and one run by date', async () => {
    const latest = join(out.path, 'latest');
    expect((await linkgap(['download', '--campaign', DEMO_CAMPAIGN, '--out', latest], demo.env)).code).toBe(
      0,
    );
    expect(filesUnder(latest).filter((key) => key.startsWith('prospects/'))).toEqual([
      expect.stringMatching(/^prospects\/campaign_id=acme-trail-shoes\/run_date=2026-07-01\/.+\.parquet$/),
    ]);
    expect(filesUnder(latest).some((key) => key.startsWith('runs/'))).toBe(true);

    const byDate = join(out.path, 'by-date');
    const result = await linkgap(
      [
        'download',
        '--campaign',
        DEMO_CAMPAIGN,
        '--run-date',
        '2026-06-01',
        '--what',
        'changes',
        '--out',
        byDate,
      ],
      demo.env,
    );
    expect(result.code).toBe(0);
    expect(filesUnder(byDate).filter((key) => !key.startsWith('runs/'))).toEqual([
      expect.stringMatching(/^changes\/campaign_id=acme-trail-shoes\/run_date=2026-06-01\//),
    ]);
  });

  it('writes spreadsheet CSV: BOM, header, matched targets in one cell, one file per run plus a combined file', async () => {
    const dir = join(out.path, 'csv');
    const result = await linkgap(
      ['download', '--campaign', DEMO_CAMPAIGN, '--all', '--format', 'csv', '--out', dir],
      demo.env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(filesUnder(dir)).toEqual([
      'acme-trail-shoes-prospects-2026-05-01.csv',
      'acme-trail-shoes-prospects-2026-06-01.csv',
      'acme-trail-shoes-prospects-2026-07-01.csv',
      'acme-trail-shoes-prospects-all.csv',
    ]);
    const text = readFileSync(join(dir, 'acme-trail-shoes-prospects-2026-07-01.csv'), 'utf8');
    expect(text.startsWith(CSV_BOM)).toBe(true);
    const lines = text
      .slice(1)
      .split('\r\n')
      .filter((line) => line !== '');
    expect(lines[0]).toBe(PROSPECT_COLUMNS.map((column) => column.name).join(','));

    const key = filesUnder(lakeRoot).find(
      (k) => k.startsWith('prospects/') && k.includes('2026-07-01'),
    ) as string;
    const rows = await decodeParquet('prospects', readFileSync(join(lakeRoot, key)));
    expect(lines).toHaveLength(rows.length + 1);
    const multi = rows.find((row) => row.matched_targets.length > 1);
    expect(multi).toBeDefined();
    expect(text).toContain(multi?.matched_targets.join('; '));

    const combined = readFileSync(join(dir, 'acme-trail-shoes-prospects-all.csv'), 'utf8');
    const perRun = filesUnder(dir)
      .filter((name) => !name.endsWith('-all.csv'))
      .reduce(
        (sum, name) => sum + readFileSync(join(dir, name), 'utf8').split('\r\n').filter(Boolean).length - 1,
        0,
      );
    expect(combined.split('\r\n').filter(Boolean).length - 1).toBe(perRun);
  });

  it('a filtered CSV download is named after its filter and never overwrites the unfiltered file', async () => {
    const dir = join(out.path, 'filtered');
    const args = ['download', '--campaign', DEMO_CAMPAIGN, '--format', 'csv', '--out', dir];
    expect((await linkgap(args, demo.env)).code).toBe(0);
    const whole = readFileSync(join(dir, 'acme-trail-shoes-prospects-2026-07-01.csv'), 'utf8');
    const result = await linkgap([...args, '--min-da', '90', '--status', 'new'], demo.env);
    expect(result.code, result.stderr).toBe(0);
    expect(filesUnder(dir)).toEqual([
      'acme-trail-shoes-prospects-2026-07-01-status-new-min-da-90.csv',
      'acme-trail-shoes-prospects-2026-07-01.csv',
    ]);
    expect(readFileSync(join(dir, 'acme-trail-shoes-prospects-2026-07-01.csv'), 'utf8')).toBe(whole);
  });

  it.each([
    ['--max-spam', '-5'],
    ['--max-spam', '101'],
    ['--min-da', '120'],
    ['--min-score', '-1'],
  ])('refuses %s %s in one line: Moz scores run from 0 to 100', async (option, value) => {
    const result = await linkgap(
      [
        'download',
        '--campaign',
        DEMO_CAMPAIGN,
        '--format',
        'csv',
        '--out',
        join(out.path, 'x'),
        option,
        value,
      ],
      demo.env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`linkgap: ${option} must be between 0 and 100, got ${value}`);
  });

  it('writes JSON Lines, one object per row, and the runs table as manifests', async () => {
    const dir = join(out.path, 'jsonl');
    const result = await linkgap(
      [
        'download',
        '--campaign',
        DEMO_CAMPAIGN,
        '--latest',
        '--what',
        'prospects,runs',
        '--format',
        'jsonl',
        '--out',
        dir,
      ],
      demo.env,
    );
    expect(result.code, result.stderr).toBe(0);
    const prospects = readFileSync(join(dir, 'acme-trail-shoes-prospects-2026-07-01.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const [manifest] = readFileSync(join(dir, 'acme-trail-shoes-runs-2026-07-01.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(prospects).toHaveLength(manifest.gap_size);
    expect(prospects[0]).toMatchObject({
      campaign_id: DEMO_CAMPAIGN,
      run_date: '2026-07-01',
      matched_targets: expect.any(Array),
    });
  });

  it('never hands out a half-written run (prospects without a manifest)', async () => {
    const orphan = join(lakeRoot, ...prospectsKey(DEMO_CAMPAIGN, '2026-08-01', 'crashed-run').split('/'));
    const source = filesUnder(lakeRoot).find((k) => k.startsWith('prospects/')) as string;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(orphan, '..'), { recursive: true });
    writeFileSync(orphan, readFileSync(join(lakeRoot, source)));
    try {
      const dir = join(out.path, 'no-orphans');
      expect(
        (await linkgap(['download', '--campaign', DEMO_CAMPAIGN, '--all', '--out', dir], demo.env)).code,
      ).toBe(0);
      expect(filesUnder(dir).some((key) => key.includes('2026-08-01'))).toBe(false);
      const latest = await linkgap(
        ['download', '--campaign', DEMO_CAMPAIGN, '--run-date', '2026-08-01', '--out', dir],
        demo.env,
      );
      expect(latest.code).toBe(2);
      expect(latest.stderr).toBe(
        'linkgap: no committed run on 2026-08-01; committed run dates: 2026-05-01, 2026-06-01, 2026-07-01',
      );
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(join(lakeRoot, 'prospects', `campaign_id=${DEMO_CAMPAIGN}`, 'run_date=2026-08-01'), {
        recursive: true,
        force: true,
      });
    }
  });

  it.each([
    [['--campaign', 'nope'], 'linkgap: no campaign "nope" and no runs of it in'],
    [
      ['--campaign', DEMO_CAMPAIGN, '--run-date', '2026-13-01'],
      '--run-date 2026-13-01 is not a calendar date',
    ],
    [['--campaign', DEMO_CAMPAIGN, '--format', 'xlsx'], '--format must be parquet, csv or jsonl; got "xlsx"'],
    [['--campaign', DEMO_CAMPAIGN, '--what', 'links'], '--what must be prospects, changes, runs'],
    [['--campaign', DEMO_CAMPAIGN, '--latest', '--all'], 'choose one of --run-date, --latest and --all'],
    [['--campaign', 'Not/An/Id'], '"Not/An/Id" is not a --campaign id'],
  ])('answers %j with one clear line and exit 2', async (flags, message) => {
    const result = await linkgap(['download', ...flags, '--out', join(out.path, 'err')], demo.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.split('\n')).toHaveLength(1);
  });

  it('says when a campaign has no runs yet, and when --out cannot be written', async () => {
    const home = tempDir('empty');
    try {
      const file = join(home.path, 'c.json');
      writeFileSync(
        file,
        JSON.stringify({
          id: 'fresh',
          site: [{ target: 'a.example' }],
          competitors: [{ target: 'b.example' }],
        }),
      );
      const env = { LINKGAP_HOME: join(home.path, 'home') };
      await linkgap(['campaign', 'add', file], env);
      const none = await linkgap(['download', '--campaign', 'fresh', '--out', join(home.path, 'o')], env);
      expect(none).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('campaign "fresh" has no committed runs'),
      });
    } finally {
      home.remove();
    }
    const blocker = join(out.path, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const result = await linkgap(
      ['download', '--campaign', DEMO_CAMPAIGN, '--out', join(blocker, 'sub')],
      demo.env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^linkgap: cannot write to --out .*a-file\/sub: .*a-file is a file, not a folder$/,
    );
  });

  it('needs --campaign and --out (commander says so)', async () => {
    const result = await linkgap(['download', '--campaign', DEMO_CAMPAIGN], demo.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("required option '--out <dir>' not specified");
  });
});
