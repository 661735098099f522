import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparableBaseline, departedSources } from '#domain/baseline.ts';
import { addDays } from '#domain/dates.ts';
import { byScoreThenSource, type DiffResult, diffRun } from '#domain/diff.ts';
import { compareSources, type Ledger, type LedgerEntry, LedgerSchema } from '#domain/ledger.ts';
import type { CurrentProspect } from '#domain/prospects.ts';
import { aCampaign, aLedger, aLedgerEntry, aProspect } from '#test/support/builders.ts';

const campaign = aCampaign({ ignore: ['ignored.example'] });
const HASH = 'hash-1';
const SOURCES = [
  ...Array.from({ length: 10 }, (_, index) => `s${index}.example`),
  'blog.s1.example/post',
  'ignored.example',
  'www.ignored.example/page',
];
const DEPARTED = new Set(['closed', 'lost', 'unverified']);

const sourceSet = fc.uniqueArray(fc.constantFrom(...SOURCES), { maxLength: SOURCES.length });
const prospects = sourceSet.chain((sources) =>
  fc.tuple(
    ...sources.map((source) =>
      fc.integer({ min: 1, max: 100 }).map((domainAuthority) => aProspect({ source, domainAuthority })),
    ),
  ),
) as fc.Arbitrary<CurrentProspect[]>;
const verification = fc
  .array(fc.tuple(fc.constantFrom(...SOURCES), fc.boolean()), { maxLength: SOURCES.length })
  .map((pairs) => new Map(pairs));
const entry = (source: string): fc.Arbitrary<LedgerEntry> =>
  fc
    .record({
      status: fc.constantFrom('open', 'closed', 'lost', 'unverified' as const),
      firstSeenOffset: fc.integer({ min: 0, max: 300 }),
      span: fc.integer({ min: 0, max: 300 }),
      runsSeen: fc.integer({ min: 1, max: 12 }),
    })
    .map(({ status, firstSeenOffset, span, runsSeen }) => {
      const firstSeenDate = addDays('2024-01-01', firstSeenOffset);
      const lastSeenDate = addDays(firstSeenDate, span);
      return aLedgerEntry({
        source,
        status,
        firstSeenDate,
        lastSeenDate,
        runsSeen,
        closedDate: status === 'closed' ? addDays(lastSeenDate, 1) : null,
      });
    });
const previousLedger: fc.Arbitrary<Ledger | undefined> = fc.option(
  sourceSet
    .chain((sources) => fc.tuple(...sources.map(entry)))
    .map((entries) => aLedger(entries, { configHash: HASH })),
  { nil: undefined },
);
const RUN_DATE = '2026-01-01';

function run(
  previous: Ledger | undefined,
  current: CurrentProspect[],
  evidence: Map<string, boolean>,
  truncated: boolean,
  configHash = HASH,
) {
  return diffRun({
    campaign,
    runId: 'run',
    runDate: RUN_DATE,
    configHash,
    baseline: comparableBaseline(previous, { configHash, ignore: campaign.ignore }),
    current,
    truncated,
    verification: evidence,
  });
}

const departedOf = (result: DiffResult) =>
  result.changes.filter((row) => DEPARTED.has(row.change)).map((row) => row.source);

describe('diffRun properties', () => {
  it('never puts a source in two states at once', () => {
    fc.assert(
      fc.property(
        previousLedger,
        prospects,
        verification,
        fc.boolean(),
        (previous, current, evidence, truncated) => {
          const result = run(previous, current, evidence, truncated);
          const listed = result.prospects.map((row) => row.source);
          const changed = result.changes.map((row) => row.source);
          expect(new Set(listed).size).toBe(listed.length);
          expect(new Set(changed).size).toBe(changed.length);
          expect(departedOf(result).filter((source) => listed.includes(source))).toEqual([]);
          const entries = result.ledger.entries.map((e) => e.source);
          expect(new Set(entries).size).toBe(entries.length);
          expect([...entries].sort()).toEqual(entries);
          for (const source of listed)
            expect(result.ledger.entries.find((e) => e.source === source)?.status).toBe('open');
          expect(LedgerSchema.safeParse(result.ledger).success).toBe(true);
        },
      ),
    );
  });

  it('closes only previously open sources with link_status evidence, and never reports lost for a truncated run', () => {
    fc.assert(
      fc.property(
        previousLedger,
        prospects,
        verification,
        fc.boolean(),
        (previous, current, evidence, truncated) => {
          const result = run(previous, current, evidence, truncated);
          const previouslyOpen = new Set(
            previous?.entries.filter((e) => e.status === 'open').map((e) => e.source),
          );
          for (const row of result.changes.filter((change) => change.change === 'closed')) {
            expect(previouslyOpen.has(row.source)).toBe(true);
            expect(evidence.get(row.source)).toBe(true);
          }
          if (truncated) expect(result.changes.some((row) => row.change === 'lost')).toBe(false);
          expect(departedOf(result).sort()).toEqual(
            departedSources(
              comparableBaseline(previous, { configHash: HASH, ignore: campaign.ignore }),
              current,
            ),
          );
        },
      ),
    );
  });

  it('keeps counts consistent and the closure rate in [0, 1]', () => {
    fc.assert(
      fc.property(
        previousLedger,
        prospects,
        verification,
        fc.boolean(),
        (previous, current, evidence, truncated) => {
          const {
            counts,
            closureRate,
            prospects: rows,
            changes,
          } = run(previous, current, evidence, truncated);
          expect(counts.gapSize).toBe(rows.length);
          expect(counts.new + counts.persisting + counts.reopened).toBe(counts.gapSize);
          expect(counts.closed + counts.lost + counts.unverified).toBe(
            changes.length - counts.new - counts.reopened,
          );
          if (closureRate !== null) {
            expect(closureRate).toBeGreaterThanOrEqual(0);
            expect(closureRate).toBeLessThanOrEqual(1);
          }
          expect(rows.some((row) => row.source.includes('ignored'))).toBe(false);
          expect(changes.some((row) => row.source.includes('ignored'))).toBe(false);
        },
      ),
    );
  });

  it('starts a baseline when the config hash changes', () => {
    fc.assert(
      fc.property(
        previousLedger,
        prospects,
        verification,
        fc.boolean(),
        (previous, current, evidence, truncated) => {
          const result = run(previous, current, evidence, truncated, 'hash-2');
          expect(result.baseline).toBe(true);
          expect(result.changes.every((row) => row.change === 'new')).toBe(true);
          expect(result.changes).toHaveLength(result.prospects.length);
          expect(
            result.prospects.every((row) => row.runs_seen === 1 && row.first_seen_date === RUN_DATE),
          ).toBe(true);
          expect(result.closureRate).toBeNull();
        },
      ),
    );
  });

  it('keeps runs_seen and first_seen_date monotone over a sequence of runs', () => {
    const month = fc.record({ current: prospects, evidence: verification, truncated: fc.boolean() });
    fc.assert(
      fc.property(fc.array(month, { minLength: 1, maxLength: 8 }), (months) => {
        let ledger: Ledger | undefined;
        const runsSeen = new Map<string, number>();
        const firstSeen = new Map<string, string>();
        months.forEach(({ current, evidence, truncated }, index) => {
          const runDate = addDays('2025-01-01', 31 * index);
          const result = diffRun({
            campaign,
            runId: `run-${index}`,
            runDate,
            configHash: HASH,
            baseline: comparableBaseline(ledger, { configHash: HASH, ignore: campaign.ignore }),
            current,
            truncated,
            verification: evidence,
          });
          for (const row of result.prospects) {
            expect(row.runs_seen).toBe((runsSeen.get(row.source) ?? 0) + 1);
            expect(row.first_seen_date).toBe(firstSeen.get(row.source) ?? runDate);
            runsSeen.set(row.source, row.runs_seen);
            firstSeen.set(row.source, row.first_seen_date);
          }
          for (const e of result.ledger.entries) {
            expect(e.runsSeen).toBe(runsSeen.get(e.source));
            expect(e.firstSeenDate).toBe(firstSeen.get(e.source));
          }
          ledger = result.ledger;
        });
      }),
    );
  });
});

describe('byScoreThenSource (the prospects table order)', () => {
  const reference = (score: Float64Array, sources: readonly string[]) =>
    Array.from(score.keys()).sort(
      (a, b) =>
        (score[b] as number) - (score[a] as number) ||
        compareSources(sources[a] as string, sources[b] as string),
    );
  const bySourceOf = (sources: readonly string[]) =>
    Uint32Array.from(sources.keys()).sort((a, b) =>
      compareSources(sources[a] as string, sources[b] as string),
    );
  // Tenths (prospectScore's own values, many ties, -0) and, now and then, a score off that grid
  // (never NaN: prospectScore cannot give it, and the comparison sort has no order for it).
  const scoreValue = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 1000 }).map((tenths) => tenths / 10) },
    { weight: 1, arbitrary: fc.constantFrom(-0, 0.25, -1, 1e9, 100.05) },
  );

  it('orders by score (high first), then source, then index, as the comparison sort does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(scoreValue, fc.constantFrom('a', 'b', 'ab', 'B', 'é', 'z.example')), {
          maxLength: 60,
        }),
        (rows) => {
          const score = Float64Array.from(rows, ([value]) => value);
          const sources = rows.map(([, source]) => source);
          expect(Array.from(byScoreThenSource(score, bySourceOf(sources), sources))).toEqual(
            reference(score, sources),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('buckets a large run of tenths without comparing sources', () => {
    const sources = Array.from({ length: 5000 }, (_, index) => `site-${(index * 7919) % 5000}.example`);
    const score = Float64Array.from(sources, (_, index) => ((index * 31) % 1001) / 10);
    expect(Array.from(byScoreThenSource(score, bySourceOf(sources), sources))).toEqual(
      reference(score, sources),
    );
  });
});
