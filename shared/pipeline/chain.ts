/**
 * A campaign's committed runs form one chain in run_date order (DESIGN.md section 4). These checks
 * run before any Moz call: a back-dated request is refused, a forced run may replace only the latest
 * date, and an earlier run that has not finished holds the later ones back instead of leaving a hole.
 */
import type { LedgerColumns } from '#domain/ledger.ts';
import { ledgerKey } from '#lake/keys.ts';
import { decodeLedger } from '#lake/ledger-file.ts';
import {
  ChainConflictError,
  type LatestPointer,
  type Log,
  type ObjectStore,
  type RunRecord,
  type RunStore,
} from '#shared/ports.ts';

/** A request for a date before the latest committed run: linkgap never back-fills. */
export class BackdatedRunError extends Error {
  override name = 'BackdatedRunError';
}

export class ForceRejectedError extends Error {
  override name = 'ForceRejectedError';
}

export type ChainPlace =
  | { place: 'done'; record: RunRecord; latest: LatestPointer | undefined }
  /** An earlier run started and has not committed: it must finish first. */
  | { place: 'behind'; runDate: string }
  | { place: 'next'; latest: LatestPointer | undefined };

/** Where a run for `runDate` stands in its campaign's chain. */
export async function placeInChain(
  runs: RunStore,
  request: { campaignId: string; runDate: string; force?: boolean },
): Promise<ChainPlace> {
  const { campaignId, runDate } = request;
  const [latest, existing] = await Promise.all([runs.latest(campaignId), runs.get(campaignId, runDate)]);
  const committed = existing?.status === 'SUCCEEDED';
  if (committed && !request.force) return { place: 'done', record: existing, latest };
  if (latest && latest.runDate > runDate) {
    if (committed) {
      throw new ForceRejectedError(
        `cannot force ${campaignId} ${runDate}: only the latest run date (${latest.runDate}) can be replaced, because every later run builds on the one before it`,
      );
    }
    throw new BackdatedRunError(
      `${campaignId} ${runDate} is before the latest committed run (${latest.runDate}): linkgap does not back-fill earlier dates`,
    );
  }
  // Started after the latest commit (or a forced replacement of it) and not committed yet.
  const unfinished = (await runs.list(campaignId, 100))
    .filter((record) => record.status !== 'SUCCEEDED' && record.runDate < runDate)
    .filter(
      (record) =>
        !latest ||
        record.runDate > latest.runDate ||
        (record.runDate === latest.runDate && record.runId !== latest.runId),
    )
    .sort((a, b) => (a.runDate < b.runDate ? -1 : 1));
  const earliest = unfinished[0];
  if (earliest) return { place: 'behind', runDate: earliest.runDate };
  return { place: 'next', latest };
}

/** What a claimed run diffs against and what its commit expects of the latest pointer. */
export interface ChainLink {
  /** The latest pointer's run id now (the commit's condition). */
  expectedLatestRunId: string | null;
  /** The committed run before this one: the latest, or for a forced replacement the one before it. */
  predecessorRunId: string | null;
  /** The predecessor's ledger (either file format), when it has one. */
  ledger: LedgerColumns | undefined;
}

export async function linkToChain(
  runs: RunStore,
  lake: ObjectStore,
  record: RunRecord,
  log: Log,
  /** Gives the ledger's sources the run's own string of the same value (decodeLedger's `shared`). */
  shared?: (source: string) => string,
): Promise<ChainLink> {
  const latest = await runs.latest(record.campaignId);
  if (latest && latest.runDate > record.runDate) {
    throw new ChainConflictError(
      `a later run (${latest.runDate}) committed while ${record.campaignId} ${record.runDate} was running`,
    );
  }
  const replacing = latest !== undefined && latest.runDate === record.runDate;
  const predecessorRunId = replacing
    ? (latest.previousRunId ?? (await committedBefore(runs, record)))
    : (latest?.runId ?? null);
  const link = { expectedLatestRunId: latest?.runId ?? null, predecessorRunId };
  if (predecessorRunId === null) return { ...link, ledger: undefined };
  const bytes = await lake.get(ledgerKey(record.campaignId, predecessorRunId));
  if (!bytes) {
    log.warn('previous run has no ledger; starting a new baseline', { previousRunId: predecessorRunId });
    return { ...link, ledger: undefined };
  }
  return { ...link, ledger: await decodeLedger(bytes, shared) };
}

/**
 * The newest committed run before `record`'s date, from the run records: what a forced replacement
 * diffs against when the latest pointer predates `previousRunId` (written by linkgap 0.1.0).
 */
async function committedBefore(runs: RunStore, record: RunRecord): Promise<string | null> {
  const earlier = (await runs.list(record.campaignId, 100)).find(
    (other) => other.status === 'SUCCEEDED' && other.runDate < record.runDate,
  );
  return earlier?.runId ?? null;
}
