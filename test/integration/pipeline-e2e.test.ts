import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Campaign } from '#domain/campaign.ts';
import { monthlyRunDates } from '#domain/schedule.ts';
import { duckdbTypeOf, openLake } from '#lake/duckdb.ts';
import { changesKey, prospectsKey } from '#lake/keys.ts';
import { decodeManifest } from '#lake/manifest.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { LAKE_TABLES, type RunManifest } from '#lake/schema.ts';
import { intersectBody } from '#moz/client.ts';
import { intersectQueryOf } from '#pipeline/intersect-query.ts';
import { silentLog } from '#shared/observability.ts';
import { aCampaign } from '#test/support/builders.ts';
import { createLocalContext, type LocalContext } from '../../cli/local-context.ts';
import { runLocally } from '../../cli/local-runner.ts';

/**
 * Issue 3 acceptance: several months against the simulator, every count checked against the
 * simulator's ground truth, and the written lake read back by DuckDB.
 */
const RUN_DATES = monthlyRunDates('2026-03-01', 5);
/** With real credentials the client defaults to Moz's free tier (1 request / 10 s); tests go faster. */
const FAST_RATE = { MOZ_REQUESTS_PER_INTERVAL: '100', MOZ_INTERVAL_MS: '1000' };

function campaignFor(id: string): Campaign {
  return aCampaign({
    id,
    site: [{ target: 'acme-trail.example', scope: 'root_domain' }],
    competitors: [
      { target: 'rival-running.example', scope: 'root_domain' },
      { target: 'summit-footwear.example', scope: 'root_domain' },
      { target: 'trailhead-gear.example', scope: 'root_domain' },
    ],
    minMatchingTargets: 1,
    maxRowsPerRun: 50_000,
  });
}

describe('monthly gap tracking on embedded defaults', () => {
  let home: string;
  let context: LocalContext;
  const campaign = campaignFor('e2e-acme');
  const manifests: RunManifest[] = [];

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'linkgap-e2e-'));
    context = await createLocalContext({ env: { LINKGAP_HOME: home }, simulatorSeed: 'e2e-seed' });
    await context.campaigns.put(campaign);
    const results = await runLocally(
      context,
      RUN_DATES.map((runDate) => ({ campaignId: campaign.id, runDate })),
      { log: silentLog },
    );
    for (const result of results) {
      if (result.outcome.outcome !== 'committed')
        throw new Error(`run ${result.message.runDate}: ${JSON.stringify(result.outcome)}`);
      manifests.push(result.outcome.manifest);
    }
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('matches the simulator ground truth month by month', async () => {
    const simulator = context.simulator;
    if (!simulator) throw new Error('expected the embedded simulator');
    const site = campaign.site[0]?.target ?? '';
    const seen = new Set<string>();
    let previousGap = new Set<string>();
    let totalRows = 0;

    for (const [index, runDate] of RUN_DATES.entries()) {
      const month = runDate.slice(0, 7);
      const manifest = manifests[index];
      if (!manifest) throw new Error('missing manifest');
      const truthGap = new Set(
        simulator.truth
          .intersect(intersectBody(intersectQueryOf(campaign), 50, null), month)
          .map((row) => row.page),
      );
      const departed = [...previousGap].filter((source) => !truthGap.has(source));
      const closed = departed.filter((source) => simulator.truth.linksTo(source, site, { month }));
      const lost = departed.filter((source) => !closed.includes(source));
      const isNew = [...truthGap].filter((source) => !seen.has(source));
      const reopened = [...truthGap].filter((source) => seen.has(source) && !previousGap.has(source));

      const prospects = await decodeParquet(
        'prospects',
        (await context.lake.get(prospectsKey(campaign.id, runDate, manifest.run_id))) ?? new Uint8Array(),
      );
      const changes = await decodeParquet(
        'changes',
        (await context.lake.get(changesKey(campaign.id, runDate, manifest.run_id))) ?? new Uint8Array(),
      );
      const changed = (kind: string) =>
        changes
          .filter((row) => row.change === kind)
          .map((row) => row.source)
          .sort();

      expect(new Set(prospects.map((row) => row.source))).toEqual(truthGap);
      expect(manifest.gap_size).toBe(truthGap.size);
      expect(manifest.baseline).toBe(index === 0);
      expect(changed('closed')).toEqual([...closed].sort());
      expect(changed('lost')).toEqual([...lost].sort());
      expect(changed('unverified')).toEqual([]);
      expect(changed('new')).toEqual([...isNew].sort());
      expect(changed('reopened')).toEqual([...reopened].sort());
      expect(manifest.closed_count).toBe(closed.length);
      expect(manifest.lost_count).toBe(lost.length);
      expect(manifest.closure_rate).toBe(index === 0 ? null : closed.length / previousGap.size);
      // Exactly the theoretical minimum: 5 per gap row, 2 per departed prospect verified.
      expect(manifest.rows_consumed_intersect).toBe(5 * truthGap.size);
      expect(manifest.rows_consumed_link_status).toBe(2 * departed.length);
      expect(manifest.truncated).toBe(false);

      // Lifecycle columns: runs_seen and first_seen_date follow the history.
      for (const row of prospects) {
        expect(row.status).toBe(
          isNew.includes(row.source) ? 'new' : reopened.includes(row.source) ? 'reopened' : 'persisting',
        );
        expect(row.first_seen_date <= runDate).toBe(true);
        if (row.status === 'new') expect([row.runs_seen, row.first_seen_date]).toEqual([1, runDate]);
      }

      for (const source of truthGap) seen.add(source);
      previousGap = truthGap;
      totalRows += manifest.rows_consumed;
    }
    expect(RUN_DATES.length).toBeGreaterThanOrEqual(4);
    // Something actually happened across the months: closures and losses were observed.
    expect(manifests.reduce((sum, m) => sum + m.closed_count, 0)).toBeGreaterThan(0);
    expect(manifests.reduce((sum, m) => sum + m.lost_count, 0)).toBeGreaterThan(0);
    // The client's metering agrees with the server's.
    expect(simulator.stats().rowsConsumed).toBe(totalRows);
    expect((await context.moz.usageData()).rowsConsumed).toBe(totalRows);
  });

  it('is a no-op when the same months run again', async () => {
    const before = context.simulator?.stats().requests;
    const again = await runLocally(
      context,
      RUN_DATES.map((runDate) => ({ campaignId: campaign.id, runDate })),
      { log: silentLog },
    );
    expect(again.map((result) => result.outcome.outcome)).toEqual(RUN_DATES.map(() => 'already-done'));
    expect(context.simulator?.stats().requests).toBe(before);
  });

  it('--force replaces the run of the latest date: one run, one set of files for that date', async () => {
    const lastDate = RUN_DATES.at(-1) ?? '';
    const replaced = manifests.at(-1);
    const [forced] = await runLocally(context, [{ campaignId: campaign.id, runDate: lastDate }], {
      log: silentLog,
      force: true,
    });
    if (forced?.outcome.outcome !== 'committed')
      throw new Error(`forced run: ${JSON.stringify(forced?.outcome)}`);
    const manifest = forced.outcome.manifest;
    expect(manifest.run_id).not.toBe(replaced?.run_id);
    // Same month, same graph, same previous run: the replacement has the same answers.
    expect({ ...manifest, run_id: '', started_at: '', finished_at: '', requests: 0 }).toEqual({
      ...replaced,
      run_id: '',
      started_at: '',
      finished_at: '',
      requests: 0,
    });
    for (const table of ['runs', 'prospects', 'changes']) {
      const keys = await context.lake.list(`${table}/campaign_id=${campaign.id}/run_date=${lastDate}/`);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toContain(manifest.run_id);
    }
    expect(await context.lake.list(`state/${campaign.id}/${replaced?.run_id}`)).toEqual([]);
    expect(await context.runs.latest(campaign.id)).toMatchObject({ runId: manifest.run_id });
    manifests[manifests.length - 1] = manifest;
  });

  it('--force refuses a date that a later run was diffed against', async () => {
    const [result] = await runLocally(context, [{ campaignId: campaign.id, runDate: RUN_DATES[1] ?? '' }], {
      log: silentLog,
      force: true,
    });
    expect(result?.outcome).toMatchObject({
      outcome: 'refused',
      message: expect.stringMatching(/only the latest run date \(2026-07-01\) can be replaced/),
    });
  });

  it('leaves a lake DuckDB reads with every contract column, typed, agreeing with the manifests', async () => {
    const lake = await openLake(context.lakeRoot);
    try {
      for (const [table, definition] of Object.entries(LAKE_TABLES)) {
        const described = await lake.query(`DESCRIBE ${table}`);
        expect(described.map((row) => [row.column_name, row.column_type])).toEqual(
          definition.columns.map((column) => [column.name, duckdbTypeOf(column)]),
        );
      }
      const perRun = await lake.query(`
        SELECT r.run_date, r.gap_size, count(p.source) AS prospects
        FROM runs r LEFT JOIN prospects p ON p.run_id = r.run_id
        WHERE r.campaign_id = '${campaign.id}'
        GROUP BY r.run_date, r.gap_size ORDER BY r.run_date`);
      expect(perRun).toEqual(
        manifests.map((m) => ({ run_date: m.run_date, gap_size: m.gap_size, prospects: m.gap_size })),
      );
      const changeCounts = await lake.query(`
        SELECT r.run_date, c.change, count(*) AS n
        FROM runs r JOIN changes c ON c.run_id = r.run_id
        WHERE r.campaign_id = '${campaign.id}' AND c.change IN ('closed', 'lost')
        GROUP BY r.run_date, c.change ORDER BY r.run_date, c.change`);
      const expected = manifests.flatMap((m) =>
        [
          { run_date: m.run_date, change: 'closed', n: m.closed_count },
          { run_date: m.run_date, change: 'lost', n: m.lost_count },
        ].filter((row) => row.n > 0),
      );
      expect(changeCounts).toEqual(expected);
      const manifestFromLake = await context.lake.get(
        `runs/campaign_id=${campaign.id}/run_date=${RUN_DATES[1]}/${manifests[1]?.run_id}.json`,
      );
      expect(manifestFromLake && decodeManifest(manifestFromLake)).toEqual(manifests[1]);
    } finally {
      lake.close();
    }
  });
});

describe('Moz 401 and 400 fail the run cleanly', () => {
  let home: string;
  let stub: Server;
  let stubUrl: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'linkgap-e2e-fail-'));
    stub = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'positive_targets[0].target: could not be parsed' }));
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => stub.close(resolve));
    await rm(home, { recursive: true, force: true });
  });

  it('a 401 fails with a message naming the credential source, commits nothing, and the next run starts clean', async () => {
    const good = await createLocalContext({ env: { LINKGAP_HOME: home }, simulatorSeed: 'e2e-401' });
    const simulator = good.simulator;
    if (!simulator) throw new Error('expected the embedded simulator');
    const campaign = campaignFor('e2e-auth');
    await good.campaigns.put(campaign);
    const bad = await createLocalContext({
      env: {
        LINKGAP_HOME: home,
        MOZ_API_BASE_URL: simulator.baseUrl,
        MOZ_TOKEN: 'wrong-token-123',
        ...FAST_RATE,
      },
    });
    try {
      const [failed] = await runLocally(bad, [{ campaignId: campaign.id, runDate: '2026-04-01' }], {
        log: silentLog,
      });
      expect(failed?.outcome).toMatchObject({ outcome: 'failed', kind: 'MozAuthError' });
      const message = failed?.outcome.outcome === 'failed' ? failed.outcome.message : '';
      expect(message).toMatch(/401/);
      expect(message).toContain('MOZ_TOKEN');
      expect(message).not.toContain('wrong-token-123');
      expect(await bad.runs.get(campaign.id, '2026-04-01')).toMatchObject({
        status: 'FAILED',
        error: { kind: 'MozAuthError' },
      });
      expect(await bad.lake.list('runs/')).toEqual([]);
      expect(await bad.lake.list('prospects/')).toEqual([]);
      expect(await bad.runs.latest(campaign.id)).toBeUndefined();

      const [retried] = await runLocally(good, [{ campaignId: campaign.id, runDate: '2026-04-01' }], {
        log: silentLog,
      });
      expect(retried?.outcome.outcome).toBe('committed');
      expect(await good.runs.get(campaign.id, '2026-04-01')).toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await bad.close();
      await good.close();
    }
  });

  it('a 400 fails fast with the API message and writes nothing', async () => {
    const context = await createLocalContext({
      env: { LINKGAP_HOME: home, MOZ_API_BASE_URL: stubUrl, MOZ_TOKEN: 't', ...FAST_RATE },
    });
    try {
      const campaign = campaignFor('e2e-bad-request');
      await context.campaigns.put(campaign);
      const [failed] = await runLocally(context, [{ campaignId: campaign.id, runDate: '2026-04-01' }], {
        log: silentLog,
      });
      expect(failed?.outcome).toMatchObject({ outcome: 'failed', kind: 'MozBadRequestError' });
      expect(failed?.outcome.outcome === 'failed' && failed.outcome.message).toContain('could not be parsed');
      expect(await context.lake.list(`runs/campaign_id=${campaign.id}/`)).toEqual([]);
      expect(await context.moz.stats().requests).toBe(1);
    } finally {
      await context.close();
    }
  });
});
