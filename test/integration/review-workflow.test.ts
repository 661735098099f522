/**
 * The outreach workflow end to end (issue 12), on embedded defaults and on moto: export the queue,
 * edit the CSV the way a spreadsheet does, import it, run the next month, and check that rejected
 * sources are absent and cost nothing, that a contacted prospect that closed is won, and that the
 * prospect's story, the report and the cookbook show it (over the lake `download --what all` copies,
 * so the same check runs against S3 on moto). Bad input is refused with one line and changes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createS3ObjectStore } from '#adapters/aws/object-store.ts';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { changesKey, manifestKey, reviewEventsPrefix } from '#lake/keys.ts';
import { decodeManifest } from '#lake/manifest.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { decodeReviewEvents } from '#lake/review-events.ts';
import { runCampaign } from '#pipeline/run-campaign.ts';
import { silentLog } from '#shared/observability.ts';
import type { ObjectStore } from '#shared/ports.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { linkgap, tempDir } from '#test/support/cli.ts';
import { createTestStack, describeAws, useMoto } from '#test/support/moto.ts';
import { coldStartDeps } from '../../functions/runner/deps.ts';

const moto = useMoto();
const CAMPAIGN = 'acme-trail-shoes';
const EXAMPLE = new URL('../../examples/acme-trail-shoes.json', import.meta.url);
const MARCH = '2026-03-01';
const APRIL = '2026-04-01';

/** Where a workflow runs: the CLI flags, the environment, how a month is run, how the lake is read. */
interface World {
  flags: string[];
  env: Record<string, string>;
  lake: ObjectStore;
  runMonth(runDate: string): Promise<void>;
  folder: string;
}

/** What April does to March's gap with nobody reviewing (embedded simulator, default seed). */
async function reference() {
  const dir = tempDir('review-ref');
  try {
    const env = { LINKGAP_HOME: dir.path };
    expect((await linkgap(['campaign', 'add', EXAMPLE.pathname], env)).code).toBe(0);
    for (const date of [MARCH, APRIL])
      expect((await linkgap(['run', '--campaign', CAMPAIGN, '--as-of', date], env)).code).toBe(0);
    return await monthOutcome(createFsObjectStore(join(dir.path, 'lake')), APRIL);
  } finally {
    dir.remove();
  }
}

async function monthOutcome(lake: ObjectStore, runDate: string) {
  const keys = await lake.list(`runs/campaign_id=${CAMPAIGN}/run_date=${runDate}/`);
  const key = keys[0] ?? '';
  const manifest = decodeManifest((await lake.get(key)) ?? new Uint8Array());
  const runId = key.split('/').at(-1)?.replace('.json', '') ?? '';
  expect(key).toBe(manifestKey(CAMPAIGN, runDate, runId));
  const changes = await decodeParquet(
    'changes',
    (await lake.get(changesKey(CAMPAIGN, runDate, runId))) ?? new Uint8Array(),
  );
  return {
    linkStatusRows: manifest.rows_consumed_link_status,
    closed: changes.filter((row) => row.change === 'closed').map((row) => row.source),
    lost: changes.filter((row) => row.change === 'lost').map((row) => row.source),
    changes,
  };
}

async function reviewEvents(lake: ObjectStore) {
  const events = [];
  for (const key of await lake.list(reviewEventsPrefix(CAMPAIGN)))
    events.push(...decodeReviewEvents((await lake.get(key)) ?? new Uint8Array()));
  return events;
}

/** The exported file, edited as a spreadsheet saves it: BOM, CRLF, header case, reordered and extra columns. */
function spreadsheetEdit(
  exported: string,
  edits: Record<string, { state: string; category?: string; note?: string }>,
): string {
  const rows = parse(exported, { bom: true, columns: true }) as Record<string, string>[];
  const quote = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const header = ['State', 'Owner comments', 'SOURCE', 'Category', 'Note', 'title', 'Version'];
  const lines = [header.join(',')];
  for (const row of rows) {
    const edit = edits[row.source ?? ''];
    lines.push(
      [
        edit?.state ?? row.state,
        'call back',
        row.source,
        edit?.category ?? row.category,
        edit?.note ?? row.note,
        row.title,
        row.version,
      ]
        .map((cell) => quote(cell ?? ''))
        .join(','),
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function workflow(makeWorld: () => Promise<World>) {
  let world: World;
  let expected: Awaited<ReturnType<typeof reference>>;
  /** The four sources the spreadsheet edit changed. */
  let decided: { contacted: string; approved: string; rejected: string; doNotContact: string };
  const cli = (args: string[]) => linkgap([...args, ...world.flags], world.env);

  beforeAll(async () => {
    expected = await reference();
    world = await makeWorld();
    expect(expected.closed.length).toBeGreaterThanOrEqual(2);
    expect(expected.lost.length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('export → spreadsheet edit → import → next month: rejected cost nothing, contacted + closed is won', async () => {
    await world.runMonth(MARCH);
    const queue = join(world.folder, 'queue.csv');
    const exported = await cli(['review', 'export', '--campaign', CAMPAIGN, '--out', queue]);
    expect(exported.stderr).toBe('');
    expect(exported.stdout).toMatch(/^exported \d+ of \d+ prospect\(s\)/);
    const text = readFileSync(queue, 'utf8');
    expect(text.startsWith('\uFEFFsource,url,title,domain_authority')).toBe(true);
    expect(text).toContain(',https://');

    const [contacted, approved] = expected.closed as [string, string];
    const [rejected, doNotContact] = expected.lost as [string, string];
    decided = { contacted, approved, rejected, doNotContact };
    const edited = join(world.folder, 'edited.csv');
    writeFileSync(
      edited,
      spreadsheetEdit(text, {
        [contacted]: {
          state: 'Contacted',
          category: 'Editorial',
          note: 'Wrote to the editor,\r\nasked for "a mention"',
        },
        [approved]: { state: 'APPROVED', category: 'resource page' },
        [rejected]: { state: 'Rejected', note: '=spam farm' },
        [doNotContact]: { state: 'do not contact', category: 'Directory' },
      }),
    );
    const imported = await cli(['review', 'import', '--campaign', CAMPAIGN, '--by', 'dana', edited]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('changed 4 review(s)');
    expect(imported.stdout).toContain(`${contacted}: to_review -> contacted [- -> editorial] (note)`);
    const events = await reviewEvents(world.lake);
    expect(events).toHaveLength(4);

    // The same file again: nothing changes, no event.
    const again = await cli(['review', 'import', '--campaign', CAMPAIGN, '--by', 'dana', edited]);
    expect(again.stdout).toMatch(/^no changes/);
    expect(await reviewEvents(world.lake)).toHaveLength(4);

    await world.runMonth(APRIL);
    const april = await monthOutcome(world.lake, APRIL);
    // Two rejected departures left out: 2 sources x 2 weighted link_status rows never spent.
    expect(april.linkStatusRows).toBe(expected.linkStatusRows - 4);
    const aprilSources = april.changes.map((row) => row.source);
    expect(aprilSources).not.toContain(rejected);
    expect(aprilSources).not.toContain(doNotContact);
    expect(april.changes.find((row) => row.source === contacted)).toMatchObject({
      change: 'closed',
      review_state: 'contacted',
    });

    const story = await cli(['prospect', '--campaign', CAMPAIGN, contacted]);
    expect(story.stderr).toBe('');
    // The run promoted it: the last change is the run's, and dana stays the person to ask.
    expect(story.stdout).toMatch(
      /review: won, editorial, last changed by linkgap-run at \S+ \(owner: dana\)/,
    );
    expect(story.stdout).toMatch(/linkgap-run\s+run\s+contacted\s+won/);
    const won = (await reviewEvents(world.lake)).filter((event) => event.to_state === 'won');
    expect(won.map((event) => event.source).sort()).toEqual([approved, contacted].sort());
  });

  it('the report and the cookbook show it: the won links by category, the rejected out of the queue', async () => {
    const { contacted, approved, rejected, doNotContact } = decided;
    const reportPath = join(world.folder, 'report.html');
    const report = await cli(['report', '--campaign', CAMPAIGN, '--out', reportPath]);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(reportPath, 'utf8');
    const wonTable = /<table id="won-links">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    const wonRow = (source: string, category: string) =>
      new RegExp(
        `<tr><td><span class="source">${source.replaceAll('.', '\\.')}</span></td><td>\\d{4}-\\d{2}-\\d{2}</td><td>${category}</td><td>linkgap-run</td></tr>`,
      );
    expect(wonTable).toMatch(wonRow(contacted, 'editorial'));
    expect(wonTable).toMatch(wonRow(approved, 'resource page'));
    expect(html).toMatch(/<div class="tile" data-key="won"><div class="value">2<\/div>/);
    expect(html).toMatch(/<div class="tile" data-key="rejected"><div class="value">1<\/div>/);
    expect(html).toMatch(/<div class="tile" data-key="do_not_contact"><div class="value">1<\/div>/);
    const unreviewed = /<table id="top-unreviewed">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(unreviewed).not.toBe('');
    for (const source of [rejected, doNotContact, contacted, approved])
      expect(unreviewed).not.toContain(`>${source}<`);

    // The cookbook over the lake as people download it (the S3 lake on moto): reviews come along.
    const lakeCopy = join(world.folder, 'lake-copy');
    const download = await cli([
      'download',
      '--campaign',
      CAMPAIGN,
      '--all',
      '--what',
      'all',
      '--out',
      lakeCopy,
    ]);
    expect(download.code, download.stderr).toBe(0);
    const events = await reviewEvents(world.lake);
    const cookbook = async (id: string) => {
      const args = ['query', '--lake', lakeCopy, '--cookbook', id, '--campaign', CAMPAIGN];
      const result = await linkgap([...args, '--format', 'json'], world.env);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>[];
    };
    const quarterOf = (source: string) => {
      const date = events.find((event) => event.source === source && event.to_state === 'won')?.event_date;
      return `${date?.slice(0, 4)}-Q${Math.floor((Number(date?.slice(5, 7)) - 1) / 3) + 1}`;
    };
    const won = await cookbook('won-by-category');
    expect(won).toContainEqual({ quarter: quarterOf(contacted), category: 'editorial', links_won: 1 });
    expect(won).toContainEqual({ quarter: quarterOf(approved), category: 'resource_page', links_won: 1 });
    expect(won.reduce((sum, row) => sum + Number(row.links_won), 0)).toBe(2);

    const queue = await cookbook('review-queue');
    const queued = queue.map((row) => row.source);
    expect(queued.length).toBeGreaterThan(0);
    for (const source of [rejected, doNotContact, contacted, approved]) expect(queued).not.toContain(source);
    expect(new Set(queue.map((row) => row.state))).toEqual(new Set(['to_review']));

    // The review events on their own, for spreadsheets and tools.
    const csvFolder = join(world.folder, 'reviews-csv');
    for (const format of ['csv', 'jsonl']) {
      const args = ['download', '--campaign', CAMPAIGN, '--what', 'reviews', '--format', format];
      const result = await cli([...args, '--out', csvFolder]);
      expect(result.code, result.stderr).toBe(0);
    }
    const csv = parse(readFileSync(join(csvFolder, `${CAMPAIGN}-reviews.csv`), 'utf8'), {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(csv).toHaveLength(events.length);
    expect(
      csv
        .filter((row) => row.to_state === 'won')
        .map((row) => row.source)
        .sort(),
    ).toEqual([approved, contacted].sort());
    expect(csv.find((row) => row.source === rejected)?.note).toBe("'=spam farm");
    const lines = readFileSync(join(csvFolder, `${CAMPAIGN}-reviews.jsonl`), 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((line) => JSON.parse(line).event_id).sort()).toEqual(
      events.map((event) => event.event_id).sort(),
    );
  });

  it('bad input is one line, exit 2, and changes nothing', async () => {
    const before = await reviewEvents(world.lake);
    const queue = join(world.folder, 'bad.csv');
    expect((await cli(['review', 'export', '--campaign', CAMPAIGN, '--out', queue])).code).toBe(0);
    const listed = parse(readFileSync(queue, 'utf8'), { bom: true, columns: true }) as Record<
      string,
      string
    >[];
    const source = listed[0]?.source ?? '';
    const cases: [string, string, RegExp][] = [
      [
        'unknown state',
        `source,state\r\n${source},maybe\r\n`,
        /bad\.csv: line 2, column state: "maybe" is not a state/,
      ],
      [
        'unknown category',
        `source,state,category\r\n${source},approved,blogroll\r\n`,
        /line 2, column category: "blogroll" is not a category/,
      ],
      ['malformed CSV', `source,state\r\n"${source},approved\r\n`, /not a readable CSV: Quote Not Closed/],
      [
        'another campaign',
        `source,state\r\nnever-listed.example,approved\r\n`,
        /line 2, column source: never-listed\.example is not a prospect of this campaign/,
      ],
    ];
    for (const [what, text, message] of cases) {
      writeFileSync(queue, text);
      const result = await cli(['review', 'import', '--campaign', CAMPAIGN, queue]);
      expect(result.code, what).toBe(2);
      expect(result.stderr, what).toMatch(message);
      expect(result.stderr, what).toMatch(/nothing was imported$/);
      expect(result.stderr.split('\n'), what).toHaveLength(1);
    }
    // Someone else changes a review after the export: the stale row is refused, nothing applied.
    const exported = join(world.folder, 'stale.csv');
    expect((await cli(['review', 'export', '--campaign', CAMPAIGN, '--out', exported])).code).toBe(0);
    expect(
      (await cli(['review', 'set', '--campaign', CAMPAIGN, source, '--state', 'approved', '--by', 'eve']))
        .code,
    ).toBe(0);
    const staleRows = parse(readFileSync(exported, 'utf8'), { bom: true, columns: true }) as Record<
      string,
      string
    >[];
    const other = staleRows[2]?.source ?? '';
    writeFileSync(
      exported,
      spreadsheetEdit(readFileSync(exported, 'utf8'), {
        [source]: { state: 'rejected' },
        [other]: { state: 'contacted' },
      }),
    );
    const stale = await cli(['review', 'import', '--campaign', CAMPAIGN, exported]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/1 review\(s\) changed since you read them .*nothing was applied/);
    const after = await reviewEvents(world.lake);
    expect(after).toHaveLength(before.length + 1); // eve's set, nothing else
    const story = await cli(['prospect', '--campaign', CAMPAIGN, other]);
    expect(story.stdout).toContain('review: to_review');
  });
}

describe('the review workflow on embedded defaults', () => {
  const dir = tempDir('review-local');
  afterAll(() => dir.remove());
  workflow(async () => {
    const env = { LINKGAP_HOME: dir.path };
    expect((await linkgap(['campaign', 'add', EXAMPLE.pathname], env)).code).toBe(0);
    return {
      flags: [],
      env,
      folder: dir.path,
      lake: createFsObjectStore(join(dir.path, 'lake')),
      async runMonth(runDate) {
        const result = await linkgap(['run', '--campaign', CAMPAIGN, '--as-of', runDate], env);
        expect(result.code, result.stderr).toBe(0);
      },
    };
  });
});

describeAws('the review workflow on AWS (moto), runs through the Lambda composition root', () => {
  const dir = tempDir('review-aws');
  let simulator: MozSimulator | undefined;
  afterAll(async () => {
    dir.remove();
    await simulator?.close();
    vi.unstubAllEnvs();
  });
  workflow(async () => {
    simulator = await startSimulator({ token: 'review-token', seed: 'linkgap-demo' });
    const stack = await createTestStack(moto, { secretValue: JSON.stringify({ token: 'review-token' }) });
    const runner = coldStartDeps({
      ...stack.lambdaEnv,
      MOZ_API_BASE_URL: simulator.baseUrl,
      MOZ_RATE_REQUESTS: '1000',
      MOZ_RATE_INTERVAL_MS: '1000',
    });
    await runner.pipeline.campaigns.put(parseCampaign(JSON.parse(readFileSync(EXAMPLE, 'utf8'))));
    const sim = simulator;
    return {
      flags: ['--aws'],
      env: {
        LINKGAP_HOME: join(dir.path, 'empty-home'),
        LINKGAP_TABLE: stack.names.tableName,
        LINKGAP_BUCKET: stack.names.bucket,
      },
      folder: dir.path,
      lake: createS3ObjectStore({ s3: stack.clients.s3, bucket: stack.names.bucket }),
      async runMonth(runDate) {
        sim.setMonth(runDate.slice(0, 7));
        const outcome = await runCampaign(
          { campaignId: CAMPAIGN, runDate },
          { ...runner.pipeline, log: silentLog, metrics: undefined },
        );
        expect(outcome.outcome).toBe('committed');
      },
    };
  });
});
