/**
 * A complete local pipeline for the reliability suites: file stores and an fs lake under a temp home,
 * an in-process Moz simulator, and a Moz client with tiny backoff delays, all wired into RunDeps.
 *
 * The Moz port is wrapped so tests can see every logical call (which page token, which link_status
 * sources, whether it succeeded), and the clock is manual so leases can be expired on demand.
 */

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { inspect } from 'node:util';
import { afterAll } from 'vitest';
import { createFileCampaignStore, createFileRunStore } from '#adapters/local/file-stores.ts';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { createFileReviewStore } from '#adapters/local/review-store.ts';
import type { CampaignInput } from '#domain/campaign.ts';
import { parseCampaign } from '#domain/campaign.ts';
import type { ReviewEvent } from '#domain/review.ts';
import { manifestKey } from '#lake/keys.ts';
import { decodeLedger } from '#lake/ledger-file.ts';
import { decodeManifest } from '#lake/manifest.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { decodeReviewEvents } from '#lake/review-events.ts';
import type { ChangeRow, ProspectRow, RunManifest } from '#lake/schema.ts';
import { createMozClient, type MozClient, type MozClientConfig } from '#moz/client.ts';
import {
  createRunDeps,
  RUN_DEFAULTS,
  type RunDeps,
  type RunOutcome,
  type RunStep,
  runCampaign,
} from '#pipeline/run-campaign.ts';
import type {
  CampaignStore,
  Log,
  LogFields,
  MozCredentials,
  ObjectStore,
  ReviewStore,
  RunRecord,
  RunStore,
} from '#shared/ports.ts';
import { type MozSimulator, type SimulatorOptions, startSimulator } from '#simulator/server.ts';
import { aCampaignInput } from './builders.ts';

export const SIM_TOKEN = 'reliability-token-7f3a9c';
export const LEASE_MS = RUN_DEFAULTS.leaseMs;

// ---------------------------------------------------------------- log capture

export interface CapturedLogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields | undefined;
}

export interface CapturingLog extends Log {
  readonly entries: CapturedLogEntry[];
  /** Everything logged, errors expanded (message, stack, own properties, causes). */
  text(): string;
}

export function createCapturingLog(): CapturingLog {
  const entries: CapturedLogEntry[] = [];
  const push = (level: CapturedLogEntry['level']) => (message: string, fields?: LogFields) => {
    entries.push({ level, message, fields });
  };
  return {
    entries,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    text: () =>
      entries.map((entry) => `${entry.level} ${entry.message} ${everythingAbout(entry.fields)}`).join('\n'),
  };
}

/** Every rendering of a value a log sink or error reporter might produce. */
export function everythingAbout(value: unknown): string {
  const parts = [inspect(value, { depth: 12, showHidden: false, breakLength: Number.POSITIVE_INFINITY })];
  try {
    parts.push(
      JSON.stringify(value, (_key, item: unknown) => (item instanceof Error ? expandError(item) : item)),
    );
  } catch {
    // cyclic: inspect above already covered it
  }
  return parts.join('\n');
}

function expandError(error: Error): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(error)),
    name: error.name,
    message: error.message,
    stack: error.stack,
    json: safeJson(error),
    cause: error.cause instanceof Error ? expandError(error.cause) : error.cause,
  };
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- recording Moz port

export interface MozCall {
  endpoint: 'link_intersect' | 'link_status';
  runDate: string;
  /** link_intersect: the page token asked for ('(first page)' for null); link_status: the site target. */
  request: string;
  sources: string[];
  ok: boolean;
}

type MozPort = RunDeps['moz'];

function recordingMoz(moz: MozClient, calls: MozCall[], runDate: () => string): MozPort {
  return {
    async intersectPage(query, opts) {
      const call: MozCall = {
        endpoint: 'link_intersect',
        runDate: runDate(),
        request: opts.nextToken ?? '(first page)',
        sources: [],
        ok: false,
      };
      calls.push(call);
      const page = await moz.intersectPage(query, opts);
      call.ok = true;
      return page;
    },
    async linkStatus(request, opts) {
      const call: MozCall = {
        endpoint: 'link_status',
        runDate: runDate(),
        request: request.target,
        sources: [...request.sources],
        ok: false,
      };
      calls.push(call);
      const result = await moz.linkStatus(request, opts);
      call.ok = true;
      return result;
    },
  };
}

// ---------------------------------------------------------------- the harness

export interface HarnessOptions {
  /** Simulator graph seed. @default 'reliability' */
  seed?: string;
  /** @default 5000 (about 130 prospects, 3 pages, for the default campaign) */
  universeSize?: number;
  simulator?: Omit<SimulatorOptions, 'seed' | 'universeSize'>;
  /** What the client sends. @default the simulator's token */
  credentials?: MozCredentials;
  client?: Partial<MozClientConfig>;
  /** 'per-date': run ids derived from the run date, so two harnesses produce the same keys. @default 'per-date' */
  runIds?: 'per-date' | 'random';
  /** Reuse another harness's home (another "process" on the same stores). */
  home?: string;
  /** Reuse a running simulator (not closed by this harness). */
  sharedSimulator?: MozSimulator;
  /** Other stores than the file stores under the home (DynamoDB on moto). */
  stores?: { campaigns: CampaignStore; runs: RunStore; reviews?: ReviewStore };
}

export interface ManualClock {
  (): Date;
  set(iso: string): void;
  advance(ms: number): void;
}

export interface Harness {
  home: string;
  lakeRoot: string;
  simulator: MozSimulator;
  campaigns: CampaignStore;
  runs: RunStore;
  /** The outreach reviews the runs read (a file store under the home unless `stores` gives one). */
  reviews: ReviewStore;
  lake: ObjectStore;
  client: MozClient;
  moz: MozPort;
  log: CapturingLog;
  /** Every logical Moz call made through the pipeline, in order. */
  calls: MozCall[];
  /** Every backoff the client asked for (ms), before the harness shortened it. */
  sleeps: number[];
  clock: ManualClock;
  putCampaign(overrides?: Partial<CampaignInput>): Promise<void>;
  deps(overrides?: Partial<RunDeps>): RunDeps;
  /** Runs one (campaign, run_date) with the simulator in that month. */
  run(
    runDate: string,
    options?: { campaignId?: string; afterStep?: RunDeps['afterStep']; deps?: Partial<RunDeps> },
  ): Promise<RunOutcome>;
  /** Moves the clock past every lease, as if the crashed worker's lease ran out. */
  expireLeases(): void;
  close(): Promise<void>;
}

export const CAMPAIGN_ID = 'acme-trail-shoes';

/**
 * Starts harnesses for one test file (or describe block) and closes every one it started after that
 * file's (or block's) tests. Call it where `afterAll` may be called: at the top of a file or a describe.
 */
export function useHarnesses(): (options?: HarnessOptions) => Promise<Harness> {
  const started: Harness[] = [];
  afterAll(async () => {
    await Promise.all(started.map((harness) => harness.close()));
  });
  return async (options) => {
    const harness = await startHarness(options);
    started.push(harness);
    return harness;
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'linkgap-reliability-')));
  const ownsHome = options.home === undefined;
  const simulator =
    options.sharedSimulator ??
    (await startSimulator({
      token: SIM_TOKEN,
      seed: options.seed ?? 'reliability',
      universeSize: options.universeSize ?? 5_000,
      ...options.simulator,
    }));
  const lakeRoot = join(home, 'lake');
  const log = createCapturingLog();
  const sleeps: number[] = [];
  const credentials = options.credentials ?? { kind: 'token', token: SIM_TOKEN };
  const client = createMozClient({
    baseUrl: simulator.baseUrl,
    credentials: async () => credentials,
    refreshCredentials: async () => credentials,
    credentialSource: 'the reliability test credentials',
    baseDelayMs: 2,
    maxDelayMs: 20,
    timeoutMs: 400,
    maxAttempts: 12,
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    },
    log: (event) => log[event.level](event.msg, event),
    ...options.client,
  });

  let currentRunDate = '2026-01-01';
  const calls: MozCall[] = [];
  const moz = recordingMoz(client, calls, () => currentRunDate);
  let now = Date.parse('2026-01-01T06:00:00Z');
  const clock = Object.assign(() => new Date(now), {
    set(iso: string) {
      now = Date.parse(iso);
    },
    advance(ms: number) {
      now += ms;
    },
  }) as ManualClock;

  const campaigns = options.stores?.campaigns ?? createFileCampaignStore(home);
  const runs = options.stores?.runs ?? createFileRunStore(home);
  const reviews = options.stores?.reviews ?? createFileReviewStore(home);
  const lake = createFsObjectStore(lakeRoot);
  const runIds = options.runIds ?? 'per-date';
  let runCounter = 0;

  const deps = (overrides: Partial<RunDeps> = {}): RunDeps => ({
    ...createRunDeps({
      campaigns,
      runs,
      reviews,
      lake,
      moz,
      clock,
      newRunId: (runDate) =>
        runIds === 'per-date'
          ? `run-${runDate.replaceAll('-', '')}`
          : `run-${runDate.replaceAll('-', '')}-${(++runCounter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      log,
      provenance: { softwareVersion: 'reliability', mozBaseUrl: 'simulator' },
      // An earlier run caught up on the way sees its own month, like the local runner does.
      onClaimed: (record) => {
        currentRunDate = record.runDate;
        simulator.setMonth(record.runDate.slice(0, 7));
      },
    }),
    ...overrides,
  });

  return {
    home,
    lakeRoot,
    simulator,
    campaigns,
    runs,
    reviews,
    lake,
    client,
    moz,
    log,
    calls,
    sleeps,
    clock,
    async putCampaign(overrides = {}) {
      await campaigns.put(parseCampaign(aCampaignInput({ id: CAMPAIGN_ID, ...overrides })));
    },
    deps,
    async run(runDate, runOptions = {}) {
      currentRunDate = runDate;
      simulator.setMonth(runDate.slice(0, 7));
      const start = Date.parse(`${runDate}T06:00:00Z`);
      if (now < start) now = start;
      return runCampaign(
        { campaignId: runOptions.campaignId ?? CAMPAIGN_ID, runDate },
        deps({ ...(runOptions.afterStep ? { afterStep: runOptions.afterStep } : {}), ...runOptions.deps }),
      );
    },
    expireLeases() {
      now += LEASE_MS + 1_000;
    },
    async close() {
      await client.close();
      if (!options.sharedSimulator) await simulator.close();
      if (ownsHome) await rm(home, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- reading the end state

/** A manifest without the fields that legitimately differ between attempts (timing, HTTP effort). */
export type ComparableManifest = Omit<
  RunManifest,
  'started_at' | 'finished_at' | 'requests' | 'retries' | 'rows_possibly_metered_on_failures' | 'moz_base_url'
>;

export function comparableManifest(manifest: RunManifest): ComparableManifest {
  const {
    started_at: _started,
    finished_at: _finished,
    requests: _requests,
    retries: _retries,
    rows_possibly_metered_on_failures: _possiblyMetered,
    moz_base_url: _baseUrl,
    ...rest
  } = manifest;
  return rest;
}

export interface LakeSnapshot {
  /** Every key outside staging/, sorted. */
  keys: string[];
  prospects: Record<string, ProspectRow[]>;
  changes: Record<string, ChangeRow[]>;
  manifests: Record<string, RunManifest>;
  ledgers: Record<string, unknown>;
  /** Every review event, in key order (by campaign, day, time). */
  reviewEvents: ReviewEvent[];
  /** The runs' HTML reports (written after the commit by the publish stage), as text. */
  reports: Record<string, string>;
}

/** Decodes every committed-table file and ledger in the lake (staging checkpoints left out). */
export async function readLake(lake: ObjectStore): Promise<LakeSnapshot> {
  const keys = (await lake.list('')).filter((key) => !key.startsWith('staging/'));
  const snapshot: LakeSnapshot = {
    keys,
    prospects: {},
    changes: {},
    manifests: {},
    ledgers: {},
    reviewEvents: [],
    reports: {},
  };
  for (const key of keys) {
    const bytes = await lake.get(key);
    if (!bytes) throw new Error(`${key} vanished`);
    if (key.startsWith('prospects/')) snapshot.prospects[key] = await decodeParquet('prospects', bytes);
    else if (key.startsWith('changes/')) snapshot.changes[key] = await decodeParquet('changes', bytes);
    else if (key.startsWith('runs/')) snapshot.manifests[key] = decodeManifest(bytes);
    else if (key.startsWith('state/')) snapshot.ledgers[key] = await decodeLedger(bytes);
    else if (key.startsWith('reviews/')) snapshot.reviewEvents.push(...decodeReviewEvents(bytes));
    else if (key.startsWith('reports/')) snapshot.reports[key] = new TextDecoder().decode(bytes);
    else throw new Error(`unexpected lake key ${key}`);
  }
  return snapshot;
}

/** The snapshot with manifests reduced to their comparable fields. */
export async function comparableLake(lake: ObjectStore) {
  const snapshot = await readLake(lake);
  return {
    ...snapshot,
    manifests: Object.fromEntries(
      Object.entries(snapshot.manifests).map(([key, manifest]) => [key, comparableManifest(manifest)]),
    ),
  };
}

/** Run records without the bookkeeping that differs between attempts. */
export async function comparableRuns(runs: RunStore, campaignId = CAMPAIGN_ID) {
  const records = await runs.list(campaignId, 1000);
  return {
    records: records.map((record: RunRecord) => ({
      campaignId: record.campaignId,
      runDate: record.runDate,
      runId: record.runId,
      configHash: record.configHash,
      status: record.status,
      summary: record.summary,
    })),
    latest: await runs.latest(campaignId),
  };
}

export async function manifestOf(lake: ObjectStore, runDate: string, runId: string): Promise<RunManifest> {
  const bytes = await lake.get(manifestKey(CAMPAIGN_ID, runDate, runId));
  if (!bytes) throw new Error(`no manifest for ${runDate} ${runId}`);
  return decodeManifest(bytes);
}

/** Every file under `root`, as [relative path, bytes]. */
export async function allFiles(root: string): Promise<[string, Buffer][]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: [string, Buffer][] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push([relative(root, path).split(sep).join('/'), await readFile(path)]);
  }
  return files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Deps whose ports all refuse to work once the hook fires: the process died there, so not even
 * the failure record gets written (the harsher model of a crash than a thrown error).
 */
export function killedAt(deps: RunDeps, hook: NonNullable<RunDeps['afterStep']>): RunDeps {
  let dead = false;
  const guard = <T extends object>(port: T): T =>
    new Proxy(port, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          dead ? Promise.reject(new InjectedCrash('the process is gone')) : value.apply(target, args);
      },
    });
  return {
    ...deps,
    runs: guard(deps.runs),
    lake: guard(deps.lake),
    moz: guard(deps.moz),
    campaigns: guard(deps.campaigns),
    afterStep: async (step, detail) => {
      try {
        await hook(step, detail);
      } catch (error) {
        dead = true;
        throw error;
      }
    },
  };
}

/** Crashes a run at one step (and its n-th occurrence), once. */
export function crashAt(step: RunStep, occurrence = 1, detail?: string) {
  let seen = 0;
  let fired = false;
  const hook = (at: RunStep, atDetail?: string) => {
    if (fired || at !== step || (detail !== undefined && atDetail !== detail)) return;
    seen += 1;
    if (seen === occurrence) {
      fired = true;
      throw new InjectedCrash(`${step}#${occurrence}${detail ? `(${detail})` : ''}`);
    }
  };
  return Object.defineProperty(hook, 'fired', { get: () => fired }) as typeof hook & {
    readonly fired: boolean;
  };
}

export class InjectedCrash extends Error {
  override name = 'InjectedCrash';
}

// ---------------------------------------------------------------- what a SQL reader sees

export interface ReaderRun {
  run_id: string;
  run_date: string;
  gap_size: number;
  prospect_rows: number;
  expected_changes: number;
  change_rows: number;
}

/**
 * What a cookbook query sees through DuckDB: every run in the `runs` view with the prospects and
 * changes rows joined to it, and the run ids that have prospects rows at all.
 */
export async function readerView(lakeRoot: string, campaignId = CAMPAIGN_ID) {
  const { openLake } = await import('#lake/duckdb.ts');
  const lake = await openLake(lakeRoot);
  try {
    const id = campaignId.replaceAll("'", "''");
    const runs = (await lake.query(`
      SELECT r.run_id, CAST(r.run_date AS VARCHAR) AS run_date, r.gap_size,
             (SELECT count(*) FROM prospects p WHERE p.campaign_id = r.campaign_id AND p.run_id = r.run_id) AS prospect_rows,
             r.new_count + r.reopened_count + r.closed_count + r.lost_count + r.unverified_count AS expected_changes,
             (SELECT count(*) FROM changes c WHERE c.campaign_id = r.campaign_id AND c.run_id = r.run_id) AS change_rows
      FROM runs r WHERE r.campaign_id = '${id}' ORDER BY r.run_date`)) as unknown as ReaderRun[];
    const joined = (await lake.query(`
      SELECT DISTINCT p.run_id FROM runs r JOIN prospects p ON p.run_id = r.run_id
      WHERE r.campaign_id = '${id}' ORDER BY 1`)) as { run_id: string }[];
    return { runs, joinedRunIds: joined.map((row) => row.run_id) };
  } finally {
    lake.close();
  }
}
