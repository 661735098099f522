import { describe, expect, it } from 'vitest';
import { collectGoals, GOALS } from '../../bench/goals.ts';

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
