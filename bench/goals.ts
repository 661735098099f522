/**
 * The figures issue 14 sets goals for: the keys of results.json's top-level `goals` (one number each,
 * or null when the benchmark that measures it did not run), which benchmark measures each, and the
 * goal printed beside it. bench/README.md documents every key.
 */
export interface Goal {
  key: string;
  benchmark: string;
  goal: string;
  met: (value: number) => boolean;
  /** What it takes to measure it, when a plain `npm run bench` does not. */
  needs?: string;
}

export const GOALS: readonly Goal[] = [
  {
    key: 'pipeline_1m_peak_rss_mb',
    benchmark: 'scale',
    goal: '≤ 512',
    met: (v) => v <= 512,
    needs: 'BENCH_FULL=1',
  },
  {
    key: 'pipeline_us_per_prospect_ratio_1m_vs_100k',
    benchmark: 'scale',
    goal: '≤ 1.25',
    met: (v) => v <= 1.25,
    needs: 'BENCH_FULL=1',
  },
  { key: 'diff_write_vs_duckdb_100k', benchmark: 'diff-vs-duckdb', goal: '≤ 1.5', met: (v) => v <= 1.5 },
  { key: 'diff_write_vs_duckdb_1m', benchmark: 'diff-vs-duckdb', goal: '≤ 1.5', met: (v) => v <= 1.5 },
  { key: 'runner_bundle_kb', benchmark: 'cold-start', goal: '≤ 1024', met: (v) => v <= 1024 },
  { key: 'dispatcher_bundle_kb', benchmark: 'cold-start', goal: '≤ 700', met: (v) => v <= 700 },
  { key: 'runner_init_ratio', benchmark: 'cold-start', goal: '≤ 1.3', met: (v) => v <= 1.3 },
  { key: 'dispatcher_init_ratio', benchmark: 'cold-start', goal: '≤ 1.3', met: (v) => v <= 1.3 },
  { key: 'rate_gate_wall_over_bound', benchmark: 'rate-limit', goal: '≤ 1.05', met: (v) => v <= 1.05 },
  { key: 'rate_gate_429s', benchmark: 'rate-limit', goal: '= 0', met: (v) => v === 0 },
  { key: 'quota_ratio', benchmark: 'quota', goal: '= 1.0000', met: (v) => Math.abs(v - 1) < 0.00005 },
];

export interface GoalFigure {
  key: string;
  value: number | null;
  goal: string;
  /** null when not measured. */
  met: boolean | null;
  /** Why the value is null. */
  missing?: string;
}

/** Every goal's figure from the benchmarks' results, in GOALS order. */
export function collectGoals(
  results: readonly ({ name: string; goals?: Record<string, number> } | { name: string; error: string })[],
): GoalFigure[] {
  return GOALS.map(({ key, benchmark, goal, met, needs }) => {
    const result = results.find((candidate) => candidate.name === benchmark);
    const value = result && 'goals' in result ? result.goals?.[key] : undefined;
    if (value !== undefined) return { key, value, goal, met: met(value) };
    const missing =
      result === undefined
        ? `benchmark ${benchmark} was not run`
        : 'error' in result
          ? `benchmark ${benchmark} failed`
          : `not measured by this run of ${benchmark}${needs ? ` (needs ${needs})` : ''}`;
    return { key, value: null, goal, met: null, missing };
  });
}
