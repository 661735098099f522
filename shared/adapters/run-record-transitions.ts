/**
 * The run-record state machine shared by the stores that keep records themselves (the file store,
 * the in-memory store of the benchmarks). Each function takes the record as stored and returns what
 * to write, or nothing; the store supplies the atomicity (a lock file, a single thread). DynamoDB
 * expresses the same rules as condition expressions in shared/adapters/aws/run-store.ts.
 */
import type { ClaimRequest, ClaimResult, LatestPointer, RunRecord, RunSummary } from '#shared/ports.ts';

export interface Transition<T> {
  result: T;
  /** The record to store, when the transition changes it. */
  write?: RunRecord;
}

/** New run; duplicate of a finished run; live lease elsewhere; or a takeover (resume, or restart when forced or reconfigured). */
export function claimRun(existing: RunRecord | undefined, request: ClaimRequest): Transition<ClaimResult> {
  const now = request.now.getTime();
  const fresh = (runId: string, attempt: number): RunRecord => ({
    campaignId: request.campaignId,
    runDate: request.runDate,
    runId,
    configHash: request.configHash,
    status: 'RUNNING',
    attempt,
    leaseUntil: now + request.leaseMs,
    startedAt: request.now.toISOString(),
    updatedAt: request.now.toISOString(),
  });
  if (!existing) {
    const record = fresh(request.runId, 1);
    return { result: { outcome: 'claimed', record, resumed: false }, write: record };
  }
  if (existing.status === 'SUCCEEDED' && !request.force)
    return { result: { outcome: 'done', record: existing } };
  if (existing.status === 'RUNNING' && existing.leaseUntil > now)
    return { result: { outcome: 'busy', record: existing } };
  if (existing.status === 'SUCCEEDED' || existing.configHash !== request.configHash) {
    const record = fresh(request.runId, existing.attempt + 1);
    return { result: { outcome: 'claimed', record, resumed: false }, write: record };
  }
  const { error: _previousError, ...rest } = existing;
  const record: RunRecord = {
    ...rest,
    status: 'RUNNING',
    attempt: existing.attempt + 1,
    leaseUntil: now + request.leaseMs,
    updatedAt: request.now.toISOString(),
  };
  return { result: { outcome: 'claimed', record, resumed: true }, write: record };
}

const owns = (current: RunRecord | undefined, record: RunRecord): current is RunRecord =>
  current !== undefined &&
  current.runId === record.runId &&
  current.attempt === record.attempt &&
  current.status === 'RUNNING';

/** Gives the lease up early; nothing if another worker owns the run now. */
export function releaseRun(
  current: RunRecord | undefined,
  record: RunRecord,
  now: Date,
): RunRecord | undefined {
  if (!owns(current, record)) return undefined;
  return { ...current, leaseUntil: now.getTime(), updatedAt: now.toISOString() };
}

/** Records a failure; nothing if another worker owns the run now (a late failure must not hide its state). */
export function failRun(
  current: RunRecord | undefined,
  record: RunRecord,
  error: { kind: string; message: string },
  now: Date,
): RunRecord | undefined {
  if (!owns(current, record)) return undefined;
  return { ...current, status: 'FAILED', error, leaseUntil: now.getTime(), updatedAt: now.toISOString() };
}

/** Marks the run SUCCEEDED; idempotent for the same run id; throws when another run owns the date now. */
export function commitRun(
  current: RunRecord | undefined,
  record: RunRecord,
  summary: RunSummary,
  now: Date,
): RunRecord | undefined {
  if (current?.runId !== record.runId) {
    throw new Error(`run ${record.runId} no longer owns ${record.campaignId} ${record.runDate}`);
  }
  if (current.status === 'SUCCEEDED') return undefined;
  return {
    ...current,
    status: 'SUCCEEDED',
    summary,
    finishedAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

/** The latest pointer never moves back to an earlier run date. */
export const pointerMoves = (latest: LatestPointer | undefined, pointer: LatestPointer): boolean =>
  latest === undefined || latest.runDate <= pointer.runDate;
