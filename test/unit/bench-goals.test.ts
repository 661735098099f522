import { describe, expect, it } from 'vitest';
import { collectGoals, type EarlierResults, GOALS, mergeResults } from '../../bench/goals.ts';

describe('bench goals (results.json "goals")', () => {
  it('has exactly the keys issue 14 names, in its order', () => {
    expect(GOALS.map((goal) => goal.key)).toEqual([
      'pipeline_1m_peak_rss_mb',
      'pipeline_us_per_prospect_ratio_1m_vs_100k',
      'diff_write_vs_duckdb_100k',
      'diff_write_vs_duckdb_1m',
      'runner_bundle_kb',
      'dispatcher_bundle_kb',
      'runner_init_ratio',
      'dispatcher_init_ratio',
      'rate_gate_wall_over_bound',
      'rate_gate_429s',
      'quota_ratio',
    ]);
  });

  it('takes each figure from its benchmark and leaves the others null, saying why', () => {
    const figures = collectGoals([
      { name: 'quota', goals: { quota_ratio: 1 } },
      { name: 'rate-limit', goals: { rate_gate_wall_over_bound: 1.08, rate_gate_429s: 0 } },
      { name: 'scale', goals: {} },
      { name: 'cold-start', error: 'boom' },
    ]);
    const byKey = Object.fromEntries(figures.map((figure) => [figure.key, figure]));
    expect(byKey.quota_ratio).toMatchObject({ value: 1, met: true });
    expect(byKey.rate_gate_wall_over_bound).toMatchObject({ value: 1.08, met: false });
    expect(byKey.rate_gate_429s).toMatchObject({ value: 0, met: true });
    expect(byKey.pipeline_1m_peak_rss_mb).toMatchObject({ value: null, met: null });
    expect(byKey.pipeline_1m_peak_rss_mb?.missing).toMatch(/BENCH_FULL=1/);
    expect(byKey.runner_bundle_kb?.missing).toBe('benchmark cold-start failed');
    expect(byKey.diff_write_vs_duckdb_1m?.missing).toBe('benchmark diff-vs-duckdb was not run');
  });
});

describe('mergeResults (results.json after `npm run bench -- <names>`)', () => {
  type Result = { name: string; goals?: Record<string, number> };
  const earlier: EarlierResults<Result> = {
    machine: { date: '2026-11-30T10:00:00.000Z' },
    results: [
      { name: 'quota', goals: { quota_ratio: 1 } },
      {
        name: 'scale',
        goals: { pipeline_1m_peak_rss_mb: 669, pipeline_us_per_prospect_ratio_1m_vs_100k: 1 },
      },
      { name: 'cold-start', goals: { runner_bundle_kb: 1098 } },
    ],
    goals: {
      quota_ratio: 1,
      pipeline_1m_peak_rss_mb: 669,
      pipeline_us_per_prospect_ratio_1m_vs_100k: 1,
      runner_bundle_kb: 1098,
    },
    goalsMeasuredAt: { pipeline_1m_peak_rss_mb: '2026-11-29T09:00:00.000Z' },
  };

  it('keeps the results and goal figures of benchmarks that did not run', () => {
    const merged = mergeResults<Result>(
      earlier,
      [{ name: 'quota', goals: { quota_ratio: 1.0001 } }],
      '2026-12-01T00:00:00.000Z',
    );
    expect(merged.results.map((result) => result.name)).toEqual(['scale', 'cold-start', 'quota']);
    expect(merged.goals).toMatchObject({
      quota_ratio: 1.0001,
      runner_bundle_kb: 1098,
      pipeline_1m_peak_rss_mb: 669,
    });
    expect(merged.goalsMeasuredAt).toMatchObject({
      quota_ratio: '2026-12-01T00:00:00.000Z',
      runner_bundle_kb: '2026-11-30T10:00:00.000Z',
      pipeline_1m_peak_rss_mb: '2026-11-29T09:00:00.000Z',
    });
    expect(merged.figures.find((figure) => figure.key === 'quota_ratio')?.met).toBe(false);
    expect(merged.goals.rate_gate_429s).toBeNull();
    expect(merged.goalsNotMeasured.rate_gate_429s).toBe('benchmark rate-limit was not run');
  });

  it('keeps the 1M figures when scale runs again without BENCH_FULL, and replaces them when it measures them', () => {
    const quick = mergeResults<Result>(earlier, [{ name: 'scale', goals: {} }], '2026-12-01T00:00:00.000Z');
    expect(quick.goals.pipeline_1m_peak_rss_mb).toBe(669);
    expect(quick.goalsNotMeasured).not.toHaveProperty('pipeline_1m_peak_rss_mb');
    const full = mergeResults<Result>(
      earlier,
      [{ name: 'scale', goals: { pipeline_1m_peak_rss_mb: 480 } }],
      'now',
    );
    expect([full.goals.pipeline_1m_peak_rss_mb, full.goalsMeasuredAt.pipeline_1m_peak_rss_mb]).toEqual([
      480,
      'now',
    ]);
  });

  it('starts from nothing when there is no earlier file', () => {
    const merged = mergeResults(undefined, [{ name: 'quota', goals: { quota_ratio: 1 } }], 'now');
    expect(merged.results).toHaveLength(1);
    expect(merged.goals.quota_ratio).toBe(1);
    expect(merged.goals.runner_bundle_kb).toBeNull();
  });
});
