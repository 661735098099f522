/**
 * Every cookbook query runs against a lake the simulator produced (7 monthly runs), and its answers
 * are checked against ground truth: the simulator's own link graph, the run manifests and the
 * changes / prospects files decoded independently of DuckDB.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCampaign } from '#domain/campaign.ts';
import { changesKey, prospectsKey } from '#lake/keys.ts';
import { decodeManifest } from '#lake/manifest.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { cookbookMarkdown, LAKE_QUERIES, LAKE_QUERY_CAMPAIGN_ID, withCampaign } from '#lake/queries.ts';
import type { ChangeRow, ProspectRow, RunManifest } from '#lake/schema.ts';
import { intersectBody } from '#moz/client.ts';
import { intersectQueryOf } from '#pipeline/intersect-query.ts';
import { type MozSimulator, startSimulator } from '#simulator/server.ts';
import { DEMO_CAMPAIGN, demoHome, linkgap } from '#test/support/cli.ts';

const MONTHS = 7;

interface Run {
  manifest: RunManifest;
  prospects: ProspectRow[];
  changes: ChangeRow[];
}

describe('the query cookbook answers correctly (DuckDB over a simulated lake)', () => {
  let demo: Awaited<ReturnType<typeof demoHome>>;
  let simulator: MozSimulator;
  let runs: Run[];
  const answers = new Map<string, Record<string, unknown>[]>();

  beforeAll(async () => {
    demo = await demoHome(MONTHS);
    const lakeRoot = join(demo.home, 'lake');
    const manifestDir = join(lakeRoot, 'runs', `campaign_id=${DEMO_CAMPAIGN}`);
    runs = [];
    for (const partition of readdirSync(manifestDir).sort()) {
      for (const file of readdirSync(join(manifestDir, partition))) {
        const manifest = decodeManifest(readFileSync(join(manifestDir, partition, file)));
        const read = (key: string) => readFileSync(join(lakeRoot, ...key.split('/')));
        runs.push({
          manifest,
          prospects: await decodeParquet(
            'prospects',
            read(prospectsKey(DEMO_CAMPAIGN, manifest.run_date, manifest.run_id)),
          ),
          changes: await decodeParquet(
            'changes',
            read(changesKey(DEMO_CAMPAIGN, manifest.run_date, manifest.run_id)),
          ),
        });
      }
    }
    // A run that crashed after writing its files but before its manifest: no query may count it.
    const last = runs.at(-1) as Run;
    for (const [key, from] of [
      [
        prospectsKey(DEMO_CAMPAIGN, '2026-08-01', 'crashed-run'),
        prospectsKey(DEMO_CAMPAIGN, last.manifest.run_date, last.manifest.run_id),
      ],
      [
        changesKey(DEMO_CAMPAIGN, '2026-08-01', 'crashed-run'),
        changesKey(DEMO_CAMPAIGN, last.manifest.run_date, last.manifest.run_id),
      ],
    ] as const) {
      const target = join(lakeRoot, ...key.split('/'));
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, readFileSync(join(lakeRoot, ...from.split('/'))));
    }
    // Another campaign's history in the same lake must not leak into answers either.
    for (const table of ['prospects', 'changes', 'runs']) {
      const from = join(lakeRoot, table, `campaign_id=${DEMO_CAMPAIGN}`);
      const to = join(lakeRoot, table, 'campaign_id=other-campaign');
      cpSync(from, to, { recursive: true });
    }

    simulator = await startSimulator({ seed: 'linkgap-demo' });
    for (const query of LAKE_QUERIES) {
      const result = await linkgap(
        ['query', '--cookbook', query.id, '--campaign', DEMO_CAMPAIGN, '--format', 'json'],
        demo.env,
      );
      if (result.code !== 0) throw new Error(`${query.id} failed: ${result.stderr}`);
      answers.set(query.id, JSON.parse(result.stdout));
    }
  }, 120_000);

  afterAll(async () => {
    await simulator?.close();
    demo?.remove();
  });

  const answer = (id: string) => answers.get(id) ?? [];
  const campaign = () =>
    parseCampaign(
      JSON.parse(readFileSync(new URL('../../examples/acme-trail-shoes.json', import.meta.url), 'utf8')),
    );

  it('built the lake it expects: 7 committed monthly runs, none truncated', () => {
    expect(runs.map((run) => run.manifest.run_date)).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
      '2026-04-01',
      '2026-05-01',
      '2026-06-01',
      '2026-07-01',
    ]);
    expect(runs.every((run) => !run.manifest.truncated)).toBe(true);
  });

  it("gap-trend: gap sizes equal the manifests and the simulator's Link Intersect for that month", () => {
    const c = campaign();
    const body = intersectBody(intersectQueryOf(c), 50, null);
    const rows = answer('gap-trend');
    expect(rows.map((row) => row.run_date)).toEqual(runs.map((run) => run.manifest.run_date));
    rows.forEach((row, index) => {
      const run = runs[index] as Run;
      const truth = simulator.truth.intersect(body, run.manifest.run_date.slice(0, 7));
      expect(row.gap_size).toBe(run.manifest.gap_size);
      expect(row.gap_size).toBe(new Set(truth.map((r) => r.page)).size);
      expect(new Set(truth.map((r) => r.page))).toEqual(new Set(run.prospects.map((p) => p.source)));
      expect(row.new_prospects).toBe(run.manifest.new_count);
      expect(row.reopened_prospects).toBe(run.manifest.reopened_count);
    });
  });

  it('closed-vs-lost: per run, the counts in the changes files and the manifests; closed means the source links to the site now', () => {
    const rows = answer('closed-vs-lost');
    expect(rows).toHaveLength(runs.length);
    rows.forEach((row, index) => {
      const run = runs[index] as Run;
      const count = (change: string) => run.changes.filter((c) => c.change === change).length;
      expect(row).toEqual({
        run_date: run.manifest.run_date,
        closed: count('closed'),
        lost: count('lost'),
        unverified: count('unverified'),
        new: count('new'),
        reopened: count('reopened'),
      });
      expect(row.closed).toBe(run.manifest.closed_count);
      expect(row.lost).toBe(run.manifest.lost_count);
      const month = run.manifest.run_date.slice(0, 7);
      const site = campaign().site[0]?.target as string;
      for (const change of run.changes.filter((c) => c.change === 'closed')) {
        expect(simulator.truth.linksTo(change.source, site, { month })).toBe(true);
      }
      for (const change of run.changes.filter((c) => c.change === 'lost')) {
        expect(simulator.truth.linksTo(change.source, site, { month })).toBe(false);
      }
    });
    expect(rows.reduce((sum, row) => sum + Number(row.closed), 0)).toBeGreaterThan(0);
  });

  it('monthly-closure-rate: per run (one a month), closed changes over the previous gap, as in the manifests', () => {
    const monthly = runs.filter((run) => !run.manifest.baseline);
    expect(monthly.length).toBeGreaterThan(0);
    expect(answer('monthly-closure-rate')).toEqual(
      monthly.map(({ manifest, changes }) => {
        const closed = changes.filter((c) => c.change === 'closed').length;
        expect(closed).toBe(manifest.closed_count);
        const previous = manifest.previous_gap_size ?? 0;
        expect(manifest.closure_rate).toBeCloseTo(closed / previous, 4);
        return {
          month: manifest.run_date.slice(0, 7),
          closed,
          previous_gap_size: previous,
          closure_rate: Math.round((closed / previous) * 10_000) / 10_000,
        };
      }),
    );
    expect(monthly.reduce((sum, run) => sum + run.manifest.closed_count, 0)).toBeGreaterThan(0);
  });

  it('closure-rate-by-quarter: closed over the previous gaps, per quarter, baseline left out', () => {
    const byQuarter = new Map<string, { runs: number; closed: number; lost: number; previous: number }>();
    for (const { manifest } of runs.filter((run) => !run.manifest.baseline)) {
      const quarter = `${manifest.run_date.slice(0, 4)}-Q${Math.floor((Number(manifest.run_date.slice(5, 7)) - 1) / 3) + 1}`;
      const entry = byQuarter.get(quarter) ?? { runs: 0, closed: 0, lost: 0, previous: 0 };
      entry.runs += 1;
      entry.closed += manifest.closed_count;
      entry.lost += manifest.lost_count;
      entry.previous += manifest.previous_gap_size ?? 0;
      byQuarter.set(quarter, entry);
    }
    expect(answer('closure-rate-by-quarter')).toEqual(
      [...byQuarter].map(([quarter, e]) => ({
        quarter,
        runs: e.runs,
        closed: e.closed,
        lost: e.lost,
        gap_at_start_of_runs: e.previous,
        closure_rate: Math.round((e.closed / e.previous) * 10_000) / 10_000,
      })),
    );
    expect([...byQuarter.keys()]).toEqual(['2026-Q1', '2026-Q2', '2026-Q3']);
  });

  it("open-six-months: exactly the latest run's prospects with runs_seen >= 6", () => {
    const latest = runs.at(-1) as Run;
    const expected = latest.prospects
      .filter((p) => p.runs_seen >= 6)
      .map((p) => p.source)
      .sort();
    const rows = answer('open-six-months');
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.source).sort()).toEqual(expected);
    for (const row of rows) {
      expect(Number(row.days_open)).toBe(
        (Date.parse('2026-07-01') - Date.parse(String(row.first_seen_date))) / 86_400_000,
      );
      expect(Number(row.days_open)).toBeGreaterThanOrEqual(150);
    }
  });

  it('top-open-prospects: the 25 best scores of the latest run, in order', () => {
    const latest = runs.at(-1) as Run;
    const expected = [...latest.prospects]
      .sort(
        (a, b) =>
          b.score - a.score ||
          b.domain_authority - a.domain_authority ||
          (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
      )
      .slice(0, 25)
      .map((p) => p.source);
    expect(answer('top-open-prospects').map((row) => row.source)).toEqual(expected);
  });

  it('time-to-close: buckets add up to every closed change, with their day ranges', () => {
    const closed = runs.flatMap((run) => run.changes.filter((c) => c.change === 'closed'));
    const rows = answer('time-to-close');
    expect(rows.reduce((sum, row) => sum + Number(row.closed), 0)).toBe(closed.length);
    const days = closed.map((c) => c.days_in_gap as number);
    expect(Math.min(...rows.map((row) => Number(row.min_days)))).toBe(Math.min(...days));
    expect(Math.max(...rows.map((row) => Number(row.max_days)))).toBe(Math.max(...days));
    for (const row of rows) {
      const label = String(row.open_for);
      const inBucket = days.filter((d) =>
        label.startsWith('1:')
          ? d <= 45
          : label.startsWith('2:')
            ? d > 45 && d <= 100
            : label.startsWith('3:')
              ? d > 100 && d <= 190
              : d > 190,
      );
      expect(row.closed).toBe(inBucket.length);
    }
  });

  it("moz-rows-by-month: the manifests' rows per month", () => {
    expect(answer('moz-rows-by-month')).toEqual(
      runs.map(({ manifest }) => ({
        month: manifest.run_date.slice(0, 7),
        runs: 1,
        rows_consumed: manifest.rows_consumed,
        rows_intersect: manifest.rows_consumed_intersect,
        rows_link_status: manifest.rows_consumed_link_status,
        truncated_runs: 0,
      })),
    );
  });

  it('review-queue: with nobody reviewing, every prospect of the latest run, by score', () => {
    const latest = runs.at(-1) as Run;
    const rows = answer('review-queue');
    expect(rows.map((row) => row.source)).toEqual(
      [...latest.prospects]
        .sort((a, b) => b.score - a.score || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0))
        .map((p) => p.source),
    );
    expect(new Set(rows.map((row) => row.state))).toEqual(new Set(['to_review']));
  });

  it('won-by-category: nothing won without reviews', () => {
    expect(answer('won-by-category')).toEqual([]);
  });

  it("multi-competitor-prospects: exactly the latest run's prospects matching two or more competitors", () => {
    const latest = runs.at(-1) as Run;
    const expected = latest.prospects.filter((p) => p.matched_targets.length >= 2);
    const rows = answer('multi-competitor-prospects');
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.source).sort()).toEqual(expected.map((p) => p.source).sort());
    const counts = rows.map((row) => Number(row.matched_count));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it.each(LAKE_QUERIES.map((query) => [query.id, query] as const))(
    '%s pins campaign_id on every table and uses only SQL Athena shares',
    (_id, query) => {
      const tables = query.sql.match(/\b(FROM|JOIN)\s+(prospects|changes|runs|reviews)\b/g) ?? [];
      const pins = query.sql.match(new RegExp(`campaign_id = '${LAKE_QUERY_CAMPAIGN_ID}'`, 'g')) ?? [];
      expect(tables.length).toBeGreaterThan(0);
      expect(pins.length).toBe(tables.length);
      expect(query.sql).not.toMatch(/GROUP BY ALL|FILTER\s*\(|::|\bdatediff\(|\bstrftime\(/i);
      expect(withCampaign(query.sql, 'other-id')).not.toContain(LAKE_QUERY_CAMPAIGN_ID);
    },
  );

  it('docs/cookbook.md is generated from shared/lake/queries.ts', () => {
    const doc = readFileSync(new URL('../../docs/cookbook.md', import.meta.url), 'utf8');
    expect(doc).toBe(cookbookMarkdown());
  });
});
