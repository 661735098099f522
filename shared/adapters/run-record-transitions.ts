/**
 * The run-record state machine and the chain rule, shared by every run store. Each function takes
 * what is stored and returns what to write, or nothing; the store supplies the atomicity: a lock file
 * (file store), a single thread (the benchmarks' memory store), or DynamoDB conditions that the items
 * are still as read (aws/run-store.ts).
 */
import {
  ChainConflictError,
  type ClaimRequest,
  type ClaimResult,
  type CommitRequest,
  type LatestPointer,
  type RunOwner,
  RunOwnershipLostError,
  type RunRecord,
  type RunSummary,
} from '#shared/ports.ts';

export interface Transition<T> {
  result: T;
  /** The record to store, when the transition changes it. */
  write?: RunRecord;
}

/**
 * New run; duplicate of a finished run; live lease elsewhere; or a takeover (resume, or restart when
 * forced or reconfigured). A live lease whose owner is known to be gone (`ownerGone`, a local process
 * that died) is taken over at once.
 */
export function claimRun(
  existing: RunRecord | undefined,
  request: ClaimRequest,
  ownerGone: (owner: RunOwner) => boolean = () => false,
): Transition<ClaimResult> {
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
    ...(request.owner ? { owner: request.owner } : {}),
  });
  if (!existing) {
    const record = fresh(request.runId, 1);
    return { result: { outcome: 'claimed', record, resumed: false }, write: record };
  }
  if (existing.status === 'SUCCEEDED' && !request.force)
    return { result: { outcome: 'done', record: existing } };
  const ownerAlive = existing.owner === undefined || !ownerGone(existing.owner);
  if (existing.status === 'RUNNING' && existing.leaseUntil > now && ownerAlive)
    return { result: { outcome: 'busy', record: existing } };
  if (existing.status === 'SUCCEEDED' || existing.configHash !== request.configHash) {
    const record = fresh(request.runId, existing.attempt + 1);
    return { result: { outcome: 'claimed', record, resumed: false }, write: record };
  }
  const { error: _previousError, owner: _previousOwner, ...rest } = existing;
  const record: RunRecord = {
    ...rest,
    status: 'RUNNING',
    attempt: existing.attempt + 1,
    leaseUntil: now + request.leaseMs,
    updatedAt: request.now.toISOString(),
    ...(request.owner ? { owner: request.owner } : {}),
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
    throw new RunOwnershipLostError(record.campaignId, record.runDate, record.runId);
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

/**
 * The chain rule at commit: the pointer moves to the run only while it still names the run the
 * commit chained to, and never to an earlier date. 'already' when it names this run (a commit
 * repeated after a crash). Throws ChainConflictError when another run got there first.
 */
export function chainCommit(
  latest: LatestPointer | undefined,
  request: Pick<CommitRequest, 'pointer' | 'expectedLatestRunId'>,
): 'move' | 'already' {
  const { pointer } = request;
  if (latest?.runId === pointer.runId) return 'already';
  const latestRunId = latest?.runId ?? null;
  if (latestRunId !== request.expectedLatestRunId || (latest && latest.runDate > pointer.runDate)) {
    const now = latest ? `${latest.runId} of ${latest.runDate}` : 'no run';
    throw new ChainConflictError(
      `cannot commit ${pointer.campaignId} ${pointer.runDate}: it was diffed against ${request.expectedLatestRunId ?? 'no run'}, but the latest committed run is now ${now}`,
    );
  }
  return 'move';
}
