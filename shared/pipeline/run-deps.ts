import type { MozClient } from '#moz/client.ts';
import type {
  CampaignStore,
  Clock,
  Log,
  Metrics,
  ObjectStore,
  ReviewStore,
  RunOwner,
  RunRecord,
  RunStore,
} from '#shared/ports.ts';
import { newRunId } from '#shared/run-id.ts';
import type { ProgressSink } from './progress.ts';
import type { PublishPorts } from './publish.ts';

/** Points where a run can be interrupted; crash tests throw from `afterStep` to prove a crash there loses nothing. */
export type RunStep =
  | 'claimed'
  | 'page'
  | 'intersect-done'
  | 'verify-batch'
  | 'verified'
  | 'diffed'
  | 'file-written'
  | 'manifest-written'
  | 'before-commit'
  | 'committed';

export type StepHook = (step: RunStep, detail?: string) => Promise<void> | void;

/** The Moz calls a run makes; each returns what it cost and takes the invocation's deadline. */
export type RunMoz = Pick<MozClient, 'intersectPage' | 'linkStatus'>;

/** The ports a run works through (DESIGN.md section 2). */
export interface RunPorts {
  campaigns: CampaignStore;
  runs: RunStore;
  lake: ObjectStore;
  moz: RunMoz;
  clock: Clock;
  /** A new run id for a run of `runDate` (production ids are random; tests derive them from the date). */
  newRunId: (runDate: string) => string;
  log: Log;
  metrics?: Metrics;
  /**
   * The outreach reviews (rejected / do_not_contact sources are left out, closed + contacted become
   * won). Every production composition passes one; absent, the run behaves as if nobody reviewed.
   */
  reviews?: ReviewStore;
}

export interface RunSettings {
  /** How long a claim is exclusive; a crashed worker's run can be taken over after it. */
  leaseMs: number;
  /** Stop and hand over when less than this is left before the deadline. */
  minTimeLeftMs: number;
  /** Rows asked for per Link Intersect page (Moz allows at most 50). */
  pageSize: number;
}

/** What the manifests record about where the rows came from. */
export interface RunProvenance {
  softwareVersion: string;
  /** Safe to publish: no credentials (see publicBaseUrl). */
  mozBaseUrl: string;
}

export interface RunDeps extends RunPorts {
  settings: RunSettings;
  provenance: RunProvenance;
  /** Recorded with each claim, so a local run whose process died is taken over at once. */
  owner?: RunOwner;
  /** Called once a run is claimed, before its first Moz call (the embedded simulator follows its date). */
  onClaimed?: (record: RunRecord) => void;
  /** Test hook: the crash tests throw here. */
  afterStep?: StepHook;
  /** After a commit (and for a run found already done): the report into the lake, the digest out (publish.ts). */
  publish?: PublishPorts;
  /** Pages, rows against the budget, link_status batches (progress.ts): a progress bar or log lines. */
  progress?: ProgressSink;
}

/**
 * The one set of defaults every entry point shares (the Lambda, the CLI, the benchmarks, the tests).
 * The lease outlives a Lambda invocation (15 minutes at most), so a live runner is never taken over.
 */
export const RUN_DEFAULTS: Readonly<RunSettings> = Object.freeze({
  leaseMs: 16 * 60_000,
  minTimeLeftMs: 60_000,
  pageSize: 50,
});

export interface RunDepsInput extends Omit<RunDeps, 'clock' | 'newRunId' | 'settings'> {
  clock?: Clock;
  newRunId?: (runDate: string) => string;
  settings?: Partial<RunSettings>;
}

/** Builds RunDeps with the shared defaults: the real clock, random run ids and RUN_DEFAULTS. */
export function createRunDeps(input: RunDepsInput): RunDeps {
  const { settings, ...rest } = input;
  return {
    clock: () => new Date(),
    newRunId: () => newRunId(),
    ...rest,
    settings: { ...RUN_DEFAULTS, ...settings },
  };
}
