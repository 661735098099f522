/**
 * Delivery after the commit (DESIGN.md section 1): the run's HTML report, written once into the lake,
 * and its digest, sent once per channel. Derived data: the manifest stays the commit marker, so
 * nothing here fails or repeats the run. A failure is logged and counted (ReportPublishFailed,
 * DigestPublishFailed; alarmed in AWS), and the next delivery of the run, or
 * `linkgap report --publish`, makes up for it.
 *
 * Exactly once, per channel: a conditional delivery marker is claimed (with a lease) before sending
 * and marked SENT after. A duplicate delivery finds it SENT (or a live claim) and sends nothing; a
 * worker that died before sending leaves a claim whose lease runs out, and the next delivery sends.
 * The one window left is a death after the channel accepted the digest and before SENT was written:
 * then the next delivery sends it a second time (at least once, never zero). SNS standard topics do
 * not deduplicate, so a run_id attribute lets a subscriber that can (a queue consumer) drop it.
 */

import type { Campaign } from '#domain/campaign.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { buildDigest, type Digest } from '#domain/digest.ts';
import type { CommittedRun } from '#lake/committed-runs.ts';
import { listCommittedRuns } from '#lake/committed-runs.ts';
import { reportKey, reportsPrefix, tablePrefix } from '#lake/keys.ts';
import type {
  CampaignStore,
  Clock,
  DeliveryRecord,
  DeliveryStore,
  DigestChannel,
  Log,
  Metrics,
  ObjectStore,
} from '#shared/ports.ts';
import { buildReportModel, prospectsOf } from '#shared/report/model.ts';
import { renderReport } from '#shared/report/render.ts';
import type { RunRef } from './checkpoints.ts';

export interface PublishPorts {
  deliveries: DeliveryStore;
  /** The channels a campaign's digest goes to (undefined: the stored config is invalid or gone). */
  channelsFor(campaign: Campaign | undefined): DigestChannel[];
  /** A link people can open to a report key: a presigned URL in AWS, a file path locally. */
  reportLink(key: string): Promise<{ href: string; note?: string }>;
  /** Where the lake lives, printed in the report's header. */
  lakeWhere: string;
  /** Sends per channel before giving up, and the first backoff. @default 3 attempts, 1 s */
  retry?: { attempts: number; firstDelayMs: number };
  /** How long a claim is exclusive before another delivery may take it over. @default 5 minutes */
  leaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PublishDeps {
  lake: ObjectStore;
  campaigns: Pick<CampaignStore, 'get'>;
  clock: Clock;
  log: Log;
  metrics?: Metrics;
}

export type ChannelOutcome = 'sent' | 'already-sent' | 'busy' | 'failed';

export interface PublishResult {
  report: 'written' | 'existed' | 'failed';
  reportKey: string;
  digests: Record<string, ChannelOutcome>;
}

/** Rows in each prospects table of the report a run leaves in the lake. */
const REPORT_TOP = 20;
const DEFAULT_RETRY = { attempts: 3, firstDelayMs: 1_000 };
const DEFAULT_LEASE_MS = 5 * 60_000;

/** The report, then the digest on each channel. Never throws. */
export async function publishRun(
  run: RunRef,
  deps: PublishDeps,
  ports: PublishPorts,
): Promise<PublishResult> {
  const key = reportKey(run.campaignId, run.runDate, run.runId);
  // The report and the digest read the same campaign, manifests and prospects file: once each.
  const stores = deps.campaigns;
  const reading: PublishDeps = {
    ...deps,
    lake: readOnce(deps.lake),
    campaigns: { get: memoized(new Map(), (campaignId) => stores.get(campaignId)) },
  };
  return publishWith(run, key, reading, ports);
}

async function publishWith(
  run: RunRef,
  key: string,
  deps: PublishDeps,
  ports: PublishPorts,
): Promise<PublishResult> {
  const report = await publishReport(run, key, deps, ports);
  const digests: Record<string, ChannelOutcome> = {};
  let campaign: Campaign | undefined;
  try {
    campaign = parseCampaign(await deps.campaigns.get(run.campaignId));
  } catch {
    campaign = undefined; // a broken or removed config still gets the channels that need none
  }
  let digest: Promise<Digest> | undefined;
  for (const channel of safeChannels(ports, campaign, deps.log)) {
    digests[channel.name] = await deliverOnce(run, channel, deps, ports, () => {
      digest ??= runDigest(run, campaign, report === 'failed' ? undefined : key, deps, ports);
      return digest;
    });
  }
  return { report, reportKey: key, digests };
}

/**
 * The lake with its reads kept for one publish: the report and the digest read the same manifests and
 * prospects file. Only the objects `keep` names are kept (all by default); listings always are. A
 * write or delete forgets what it makes stale: the key, and listings that hold it.
 */
function readOnce(lake: ObjectStore, keep: (key: string) => boolean = () => true): ObjectStore {
  const gets = new Map<string, Promise<Uint8Array | undefined>>();
  const lists = new Map<string, Promise<string[]>>();
  const forget = (keys: string[]) => {
    for (const key of keys) gets.delete(key);
    for (const prefix of lists.keys()) if (keys.some((key) => key.startsWith(prefix))) lists.delete(prefix);
  };
  const keptGet = memoized(gets, (key) => lake.get(key));
  return {
    // No putStream: publishing writes with put (and putChunks falls back to it).
    put: (key, body, options) => lake.put(key, body, options).finally(() => forget([key])),
    get: (key) => (keep(key) ? keptGet(key) : lake.get(key)),
    list: memoized(lists, (prefix) => lake.list(prefix)),
    delete: (keys) => lake.delete(keys).finally(() => forget(keys)),
  };
}

/** `read` answering each argument from the first call's promise (a failed read is not kept). */
function memoized<T>(
  reads: Map<string, Promise<T>>,
  read: (key: string) => Promise<T>,
): (key: string) => Promise<T> {
  return (key) => {
    let pending = reads.get(key);
    if (pending === undefined) {
      pending = read(key);
      reads.set(key, pending);
      pending.catch(() => reads.delete(key));
    }
    return pending;
  };
}

function safeChannels(ports: PublishPorts, campaign: Campaign | undefined, log: Log): DigestChannel[] {
  try {
    return ports.channelsFor(campaign);
  } catch (error) {
    log.error('could not set up the digest channels', { error: messageOf(error) });
    return [];
  }
}

async function publishReport(
  run: RunRef,
  key: string,
  deps: PublishDeps,
  ports: Pick<PublishPorts, 'lakeWhere'>,
): Promise<PublishResult['report']> {
  try {
    if ((await deps.lake.list(key)).includes(key)) return 'existed';
    const source = { lake: deps.lake, campaigns: deps.campaigns, where: ports.lakeWhere };
    const model = await buildReportModel(source, run.campaignId, {
      top: REPORT_TOP,
      now: deps.clock(),
      asOf: run,
    });
    const html = new TextEncoder().encode(renderReport(model));
    const put = await deps.lake.put(key, html, {
      contentType: 'text/html; charset=utf-8',
      ifNoneMatch: true,
    });
    if (put === 'created') deps.log.info('run report written', { reportKey: key });
    return put === 'created' ? 'written' : 'existed';
  } catch (error) {
    deps.log.error('could not write the run report (linkgap report --publish writes it later)', {
      reportKey: key,
      error: messageOf(error),
    });
    deps.metrics?.count('ReportPublishFailed', 1);
    return 'failed';
  }
}

/** Claim → send (with backoff) → SENT; or FAILED, logged and counted. */
async function deliverOnce(
  run: RunRef,
  channel: DigestChannel,
  deps: PublishDeps,
  ports: PublishPorts,
  digest: () => Promise<Digest>,
): Promise<ChannelOutcome> {
  let claimed: DeliveryRecord | undefined;
  try {
    const claim = await ports.deliveries.claim(
      { ...run, channel: channel.name },
      deps.clock(),
      ports.leaseMs ?? DEFAULT_LEASE_MS,
    );
    if (claim.outcome === 'sent') return 'already-sent';
    if (claim.outcome === 'busy') {
      deps.log.info('another delivery is publishing this digest', { channel: channel.name });
      return 'busy';
    }
    claimed = claim.record;
    await sendWithBackoff(channel, await digest(), ports);
    await ports.deliveries.settle(claimed, { state: 'SENT' }, deps.clock());
    deps.log.info('digest sent', { channel: channel.name });
    return 'sent';
  } catch (error) {
    const message = messageOf(error);
    if (claimed)
      await ports.deliveries
        .settle(claimed, { state: 'FAILED', error: message }, deps.clock())
        .catch((settleError) =>
          deps.log.warn('could not record the failed digest', { error: messageOf(settleError) }),
        );
    deps.log.error('could not publish the digest', { channel: channel.name, error: message });
    deps.metrics?.count('DigestPublishFailed', 1);
    return 'failed';
  }
}

async function sendWithBackoff(channel: DigestChannel, digest: Digest, ports: PublishPorts): Promise<void> {
  const { attempts, firstDelayMs } = ports.retry ?? DEFAULT_RETRY;
  const sleep = ports.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await channel.send(digest);
    } catch (error) {
      if (attempt >= attempts) throw error;
      // Full jitter: duplicate deliveries retrying the same topic do not retry in step.
      await sleep(Math.round(firstDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
    }
  }
}

/** The digest of a committed run, from its manifest and prospects in the lake. */
async function runDigest(
  run: RunRef,
  campaign: Campaign | undefined,
  reportKeyWritten: string | undefined,
  deps: PublishDeps,
  ports: PublishPorts,
): Promise<Digest> {
  const runs = await listCommittedRuns(deps.lake, run.campaignId);
  const committed: CommittedRun | undefined = runs.find((other) => other.runId === run.runId);
  if (!committed) throw new Error(`run ${run.runId} has no manifest in the lake`);
  const prospects = await prospectsOf(deps.lake, committed);
  const reportLink = reportKeyWritten === undefined ? undefined : await ports.reportLink(reportKeyWritten);
  return buildDigest({
    manifest: committed.manifest,
    ...(campaign?.name === undefined ? {} : { campaignName: campaign.name }),
    prospects,
    ...(reportLink === undefined ? {} : { reportLink }),
    firstRun: !runs.some((other) => other.runDate < run.runDate),
  });
}

/** An error's message only: causes and properties (request URLs, headers) stay out of logs. */
const messageOf = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Writes the report of every committed run of the campaign that has none in the lake yet (a run
 * committed before reports existed, or one whose report failed). Returns the keys written.
 */
export async function writeMissingReports(
  campaignId: string,
  deps: PublishDeps,
  lakeWhere: string,
): Promise<{ written: string[]; failed: string[] }> {
  // Each report reads every manifest of the campaign: once for all of them. Only the manifests are
  // kept: each report reads a prospects file of its own, and a long history of them would add up.
  const manifests = tablePrefix('runs', campaignId);
  const reading: PublishDeps = {
    ...deps,
    lake: readOnce(deps.lake, (key) => key.startsWith(manifests)),
  };
  const present = new Set(await reading.lake.list(reportsPrefix(campaignId)));
  const ports = { lakeWhere };
  const written: string[] = [];
  const failed: string[] = [];
  for (const run of await listCommittedRuns(reading.lake, campaignId)) {
    const key = reportKey(run.campaignId, run.runDate, run.runId);
    if (present.has(key)) continue;
    const outcome = await publishReport(run, key, reading, ports);
    if (outcome === 'written') written.push(key);
    if (outcome === 'failed') failed.push(key);
  }
  return { written, failed };
}
