import { type GapColumns, gapColumnsOf, sortedBySource } from './gap-columns.ts';
import {
  type Ledger,
  type LedgerColumns,
  type LedgerEntry,
  ledgerColumnsOf,
  ledgerEntryAt,
  OPEN,
  selectLedgerEntries,
} from './ledger.ts';
import { type CurrentProspect, ignoreMatcher } from './prospects.ts';

const NOTHING_EXCLUDED: ReadonlySet<string> = new Set();

/**
 * What a run is compared with: the previous committed run's ledger, when it was made with the same
 * configuration, without the sources the campaign ignores now. This is the one rule for "which
 * previous run is comparable"; the departure check and the diff both start from it.
 */
export interface Baseline {
  /** The run that wrote the ledger: the new run's previous_run_id. */
  runId: string;
  runDate: string;
  /** Remembered sources by source, ignored ones left out; every status, not only open ones. */
  remembered: ReadonlyMap<string, LedgerEntry>;
}

/**
 * The baseline for a run of `configHash` with the campaign's current `ignore` list and the sources
 * people `excluded` (reviews rejected or do_not_contact, exact sources); undefined (the run is a new
 * baseline) when there is no previous ledger or it was made with another configuration.
 *
 * An excluded source is forgotten like an ignored one: it is not verified, not reported, and the next
 * ledger drops it. If people later un-reject it and it is still in the gap, it comes back as `new`
 * (first_seen_date restarts), while its review keeps its category, note and event history.
 */
export function comparableBaseline(
  previous: Ledger | undefined,
  run: { configHash: string; ignore: readonly string[]; excluded?: ReadonlySet<string> },
): Baseline | undefined {
  const columns = comparableLedger(previous && ledgerColumnsOf(previous), run);
  if (previous === undefined || columns === undefined) return undefined;
  const remembered = new Map<string, LedgerEntry>();
  for (let index = 0; index < columns.source.length; index++) {
    remembered.set(columns.source[index] as string, ledgerEntryAt(columns, index));
  }
  return { runId: previous.runId, runDate: previous.runDate, remembered };
}

/**
 * Sources open in the baseline and absent from the current gap list, sorted: the ones worth a Link
 * Status check. A source the campaign now ignores is not in the baseline, so it costs nothing.
 */
export function departedSources(
  baseline: Baseline | undefined,
  current: readonly CurrentProspect[],
): string[] {
  if (baseline === undefined) return [];
  const gap = gapColumnsOf(current);
  return departedOpenSources(baselineColumns(baseline), gap, sortedBySource(gap));
}

/** A Baseline's remembered entries as sorted ledger columns (what planDiff merges with). */
export function baselineColumns(baseline: Baseline, configHash = ''): LedgerColumns {
  const entries = [...baseline.remembered.values()];
  return ledgerColumnsOf({
    configHash: configHash ?? '',
    runId: baseline.runId,
    runDate: baseline.runDate,
    entries,
  });
}

/**
 * comparableBaseline for a ledger held in columns: the same rule (same configuration, without ignored
 * and excluded sources), giving sorted columns for planDiff; undefined makes the run a new baseline.
 */
export function comparableLedger(
  previous: LedgerColumns | undefined,
  run: { configHash: string; ignore: readonly string[]; excluded?: ReadonlySet<string> },
): LedgerColumns | undefined {
  if (previous === undefined || previous.configHash !== run.configHash) return undefined;
  const excluded = run.excluded ?? NOTHING_EXCLUDED;
  // Nothing to leave out (most runs): no pass over the entries.
  if (run.ignore.length === 0 && excluded.size === 0) return previous;
  const ignored = ignoreMatcher(run.ignore);
  const kept: number[] = [];
  previous.source.forEach((source, index) => {
    if (!ignored(source) && !excluded.has(source)) kept.push(index);
  });
  if (kept.length === previous.source.length) return previous;
  return selectLedgerEntries(previous, kept);
}

/**
 * Open sources of the sorted previous ledger that the current gap list lacks, in source order: a merge
 * with the current sources in source order (`bySource`), with no set of a million sources.
 */
export function departedOpenSources(
  previous: LedgerColumns | undefined,
  current: GapColumns,
  bySource: Uint32Array,
): string[] {
  if (previous === undefined) return [];
  const departed: string[] = [];
  let next = 0;
  previous.source.forEach((source, at) => {
    while (next < bySource.length && (current.source[bySource[next] as number] as string) < source) next++;
    const present = next < bySource.length && current.source[bySource[next] as number] === source;
    if (!present && previous.status[at] === OPEN) departed.push(source);
  });
  return departed;
}
