/**
 * The small interfaces the pipeline needs (DESIGN.md section 2). Adapters in shared/adapters/aws
 * and shared/adapters/local implement them; shared/pipeline is written against them only.
 */
import * as z from 'zod';
import type { Campaign } from './domain/campaign.ts';
import type { MozCredentials } from './domain/credentials.ts';
import type { Digest } from './domain/digest.ts';
import type { Review } from './domain/review.ts';

/** One SQS message / one unit of work: a campaign's run for one scheduled date. */
export const RunMessage = z.strictObject({
  campaignId: z.string().min(1).max(64),
  runDate: z.iso.date(),
});
export type RunMessage = z.infer<typeof RunMessage>;

/** A queue message body as a RunMessage, or undefined when it is not one (not JSON, other fields). */
export function parseRunMessage(body: string): RunMessage | undefined {
  try {
    const parsed = RunMessage.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A campaign item as stored. `raw` is unvalidated: a hand-edited item must fail only its own run. */
export interface StoredCampaign {
  id: string;
  raw: unknown;
}

export interface CampaignStore {
  get(id: string): Promise<unknown | undefined>;
  /** Every stored campaign, paging through the store. Validation is the caller's job. */
  list(): AsyncIterable<StoredCampaign>;
  put(campaign: Campaign): Promise<void>;
  /** Returns false when there was nothing to remove. */
  remove(id: string): Promise<boolean>;
}

/**
 * The writes a person triggers (`linkgap campaign add/update/enable/disable`), conditional so that two
 * edits never silently overwrite each other. The pipeline only reads, so it needs {@link CampaignStore}.
 */
export interface EditableCampaignStore extends CampaignStore {
  /** Stores a new campaign atomically; 'exists', writing nothing, when the id is already stored. */
  create(campaign: Campaign): Promise<'created' | 'exists'>;
  /**
   * Replaces the stored campaign only while it still equals `expected` (what `get` returned when the
   * edit began); 'changed', writing nothing, when it was edited or removed since.
   */
  replace(campaign: Campaign, expected: unknown): Promise<'replaced' | 'changed'>;
}

/** A review to store, written only while the stored one still has `expectedVersion` (0: none stored). */
export interface ReviewWrite {
  review: Review;
  expectedVersion: number;
}

/**
 * The outreach reviews of each campaign (shared/domain/review.ts): DynamoDB items in AWS, a file per
 * campaign under LINKGAP_HOME locally. Every write is conditional on the version read, so two people
 * editing the same review never silently overwrite each other.
 */
export interface ReviewStore {
  /** Every review of the campaign, sorted by source. */
  list(campaignId: string): Promise<Review[]>;
  get(campaignId: string, source: string): Promise<Review | undefined>;
  /** One conditional write: 'changed', writing nothing, when the stored version is not the expected one. */
  put(write: ReviewWrite): Promise<'written' | 'changed'>;
  /**
   * All of the writes or none (an import): when any stored version differs from the expected one,
   * nothing is written and the sources that changed come back. The DynamoDB store commits them in
   * transactions of up to 100 items; between transactions only a concurrent edit can intervene, and
   * it is refused item by item like any other.
   */
  putAll(
    writes: readonly ReviewWrite[],
  ): Promise<{ outcome: 'written' } | { outcome: 'changed'; sources: string[] }>;
}

export type RunState = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** Who holds a claim: a local process (host and pid) or a Lambda invocation (host is its log stream). */
export interface RunOwner {
  host: string;
  pid: number;
}

/** The run record: one per (campaign, run_date), created by a conditional write. */
export interface RunRecord {
  campaignId: string;
  runDate: string;
  runId: string;
  configHash: string;
  status: RunState;
  /** How many deliveries have worked on this run. */
  attempt: number;
  /** Epoch ms until which the current worker owns the run; another delivery may take over after it. */
  leaseUntil: number;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  error?: { kind: string; message: string };
  /** Who holds (or last held) the claim. */
  owner?: RunOwner;
  /** Filled in at commit, for `linkgap campaign show`. */
  summary?: RunSummary;
}

export interface RunSummary {
  manifestKey: string;
  truncated: boolean;
  gapSize: number;
  newCount: number;
  closedCount: number;
  lostCount: number;
  rowsConsumed: number;
  /** Rows Moz returned outside the lake contract, dropped at the boundary (absent in older records). */
  droppedRows?: number;
}

/** Where the campaign's newest committed run lives; moved conditionally at commit. */
export interface LatestPointer {
  campaignId: string;
  runId: string;
  runDate: string;
  configHash: string;
  manifestKey: string;
  ledgerKey: string;
  /** The committed run before this one in the chain (what a forced replacement diffs against). */
  previousRunId?: string | null;
}

export type ClaimResult =
  /** This worker owns the run now. `resumed` is true when it takes over an earlier attempt's checkpoints. */
  | { outcome: 'claimed'; record: RunRecord; resumed: boolean }
  /** The run already SUCCEEDED: a duplicate delivery, nothing to do. */
  | { outcome: 'done'; record: RunRecord }
  /** Another worker holds a live lease. */
  | { outcome: 'busy'; record: RunRecord };

export interface ClaimRequest {
  campaignId: string;
  runDate: string;
  /** Used only when a new record is created; a resumed run keeps its id (its checkpoints hang off it). */
  runId: string;
  configHash: string;
  now: Date;
  leaseMs: number;
  /** Start over even when the run SUCCEEDED (a new run id). */
  force?: boolean;
  owner?: RunOwner;
}

export interface CommitRequest {
  record: RunRecord;
  summary: RunSummary;
  pointer: LatestPointer;
  /**
   * The latest pointer's run id that this run was chained to when it diffed (null: no committed run
   * yet). The commit happens only if the pointer still says so, which keeps the chain in date order.
   */
  expectedLatestRunId: string | null;
  now: Date;
}

export interface RunStore {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Gives the lease up early (a continuation will pick the run up). Conditional on still owning it. */
  release(record: RunRecord, now: Date): Promise<void>;
  fail(record: RunRecord, error: { kind: string; message: string }, now: Date): Promise<void>;
  /**
   * Marks the run SUCCEEDED and moves the campaign's latest pointer to it, in one atomic step, only
   * while the pointer still names `expectedLatestRunId` and its date is not after the run's: every
   * store keeps the chain of committed runs in run_date order (DESIGN.md section 4). Conditional on
   * owning the run; idempotent for a run already committed. Throws ChainConflictError otherwise.
   */
  commit(request: CommitRequest): Promise<void>;
  get(campaignId: string, runDate: string): Promise<RunRecord | undefined>;
  latest(campaignId: string): Promise<LatestPointer | undefined>;
  /** Newest run date first. */
  list(campaignId: string, limit?: number): Promise<RunRecord[]>;
}

/** The latest pointer moved since the run chained to it: committing would break the run_date order. */
export class ChainConflictError extends Error {
  override name = 'ChainConflictError';
}

/** The worker no longer owns the run (another delivery took it over, or it was forced anew). */
export class RunOwnershipLostError extends Error {
  override name = 'RunOwnershipLostError';
  constructor(
    readonly campaignId: string,
    readonly runDate: string,
    readonly runId: string,
  ) {
    super(`run ${runId} of campaign "${campaignId}" for ${runDate} is no longer owned by this worker`);
  }
}

/** The lake: S3 in AWS, a folder locally, with the same keys (DESIGN.md section 4). */
export interface ObjectStore {
  /**
   * Writes an object. With `ifNoneMatch`, an existing key is left alone and 'exists' comes back
   * (S3 `If-None-Match: *`), which keeps snapshot files write-once.
   */
  put(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string; ifNoneMatch?: boolean },
  ): Promise<'created' | 'exists'>;
  /**
   * Writes an object from a stream of chunks, as `put` does (write-once with `ifNoneMatch`) without
   * holding the whole body: a multipart upload on S3, a temporary file linked into place locally.
   * Optional: without it, putChunks gathers the chunks and calls `put`.
   */
  putStream?(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string; ifNoneMatch?: boolean },
  ): Promise<'created' | 'exists'>;
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every key under the prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(keys: string[]): Promise<void>;
}

export interface Queue {
  send(messages: RunMessage[], options?: { delaySeconds?: number }): Promise<void>;
}

export type Clock = () => Date;

export interface LogFields {
  campaignId?: string;
  runId?: string;
  runDate?: string;
  [key: string]: unknown;
}

/** Structured logs; the AWS wiring uses Powertools Logger, locally JSON or quiet. Never pass secrets. */
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Business metrics (EMF in Lambda). */
export interface Metrics {
  count(name: string, value: number, unit?: 'Count' | 'Milliseconds' | 'None'): void;
}

export type { MozCredentials } from './domain/credentials.ts';

export interface SecretSource {
  /** Cached per container; cheap to call per request. */
  read(): Promise<MozCredentials>;
  /** Bypasses the cache once (after a 401/403, in case the secret was rotated). */
  refresh(): Promise<MozCredentials>;
  /** Names where the credentials come from, for error messages (never the values). */
  readonly description: string;
}

/** One run's digest on one channel ('sns', 'webhook', 'console'). Keyed by run id: a forced rerun is a new run. */
export interface DeliveryKey {
  campaignId: string;
  runDate: string;
  runId: string;
  channel: string;
}

/**
 * The delivery marker of a digest: CLAIMED (being sent, exclusive until `leaseUntil`), SENT, or FAILED
 * (retries exhausted; the next delivery of the run may claim it again).
 */
export interface DeliveryRecord extends DeliveryKey {
  state: 'CLAIMED' | 'SENT' | 'FAILED';
  /** Claims made so far; settling is conditional on still holding this attempt. */
  attempt: number;
  leaseUntil: number;
  updatedAt: string;
  error?: string;
}

export type DeliveryClaim =
  | { outcome: 'claimed'; record: DeliveryRecord }
  /** Already sent: a duplicate delivery, nothing to do. */
  | { outcome: 'sent'; record: DeliveryRecord }
  /** Another worker holds a live claim and is sending it now. */
  | { outcome: 'busy'; record: DeliveryRecord };

/** Where "this digest was claimed / sent" is kept: the run store's table or folder (DESIGN.md section 7). */
export interface DeliveryStore {
  /** Conditional: exactly one of several concurrent claimers gets 'claimed'. */
  claim(key: DeliveryKey, now: Date, leaseMs: number): Promise<DeliveryClaim>;
  /** SENT or FAILED, only while `record`'s claim is still the stored one (a no-op otherwise). */
  settle(
    record: DeliveryRecord,
    outcome: { state: 'SENT' } | { state: 'FAILED'; error: string },
    now: Date,
  ): Promise<void>;
  get(key: DeliveryKey): Promise<DeliveryRecord | undefined>;
}

/** Where a run's digest goes: an SNS topic, a webhook, the terminal. `name` keys its delivery marker. */
export interface DigestChannel {
  readonly name: string;
  /** Throws on failure; its error message must never carry a secret (a webhook URL is one). */
  send(digest: Digest): Promise<void>;
}
