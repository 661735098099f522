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

type AnyResult = { name: string; goals?: Record<string, number> } | { name: string; error: string };

/** What results.json keeps from an earlier run: its results and when each goal figure was measured. */
export interface EarlierResults<R extends AnyResult = AnyResult> {
  results?: readonly R[];
  goals?: Record<string, number | null>;
  goalsMeasuredAt?: Record<string, string>;
  machine?: { date?: string };
}

/**
 * results.json after a run of some benchmarks (`npm run bench -- quota scan`): each benchmark that ran
 * replaces its earlier result, the others keep theirs, and a goal figure this run did not measure (a
 * benchmark not run, or `scale` without BENCH_FULL=1) keeps its earlier value and the date it was
 * measured, so a partial run never wipes figures.
 */
export function mergeResults<R extends AnyResult>(
  earlier: EarlierResults<R> | undefined,
  fresh: readonly R[],
  date: string,
) {
  const freshNames = new Set(fresh.map((result) => result.name));
  const kept = (earlier?.results ?? []).filter((result) => !freshNames.has(result.name));
  const results = [...kept, ...fresh];
  const figures = collectGoals(fresh).map((figure) => {
    const before = earlier?.goals?.[figure.key];
    if (figure.value !== null || typeof before !== 'number') return { ...figure, measuredAt: date };
    const goal = GOALS.find((candidate) => candidate.key === figure.key);
    return {
      key: figure.key,
      value: before,
      goal: figure.goal,
      met: goal ? goal.met(before) : null,
      measuredAt: earlier?.goalsMeasuredAt?.[figure.key] ?? earlier?.machine?.date ?? 'an earlier run',
    };
  });
  return {
    results,
    figures,
    goals: Object.fromEntries(figures.map((figure) => [figure.key, figure.value])),
    goalsMeasuredAt: Object.fromEntries(
      figures.flatMap((figure) => (figure.value === null ? [] : [[figure.key, figure.measuredAt]])),
    ),
    goalsNotMeasured: Object.fromEntries(
      figures.flatMap((figure) =>
        figure.missing && figure.value === null ? [[figure.key, figure.missing]] : [],
      ),
    ),
  };
}
