/**
 * The report's numbers, read from the lake: the manifests of every committed run and one run's
 * prospects. Shared by `linkgap report` and the publish stage (the report each run leaves in the lake).
 */
import { type Campaign, parseCampaign } from '#domain/campaign.ts';
import { type CommittedRun, listCommittedRuns, tableKeyOf } from '#lake/committed-runs.ts';
import { decodeParquet } from '#lake/parquet.ts';
import type { ProspectRow } from '#lake/schema.ts';
import type { CampaignStore, ObjectStore } from '#shared/ports.ts';
import { byScoreDescending, toReportProspect } from './prospects.ts';
import type { ReportCampaign, ReportModel, ReportRun } from './render.ts';
import { readReviewEvents, reportReviewsOf } from './review-model.ts';
import type { ReportReviews } from './review-sections.ts';

/** Where a report reads from. */
export interface ReportSource {
  lake: ObjectStore;
  campaigns: Pick<CampaignStore, 'get'>;
  /** Where the lake lives, for the page's footer: the folder or s3://bucket. */
  where: string;
}

export interface ReportOptions {
  /** Rows in each prospects table. */
  top: number;
  now: Date;
  /** Report as of this committed run (its date and earlier); default: the latest. */
  asOf?: { runDate: string; runId: string };
}

/** The campaign has no committed run (as of the run asked for): there is nothing to report. */
export class NothingToReportError extends Error {
  override name = 'NothingToReportError';
  constructor(
    readonly campaignId: string,
    readonly campaignExists: boolean,
  ) {
    super(`campaign "${campaignId}" has no committed runs to report`);
  }
}

/** The report's model; throws NothingToReportError when no committed run exists. */
export async function buildReportModel(
  source: ReportSource,
  campaignId: string,
  options: ReportOptions,
): Promise<ReportModel> {
  const committed = await listCommittedRuns(source.lake, campaignId);
  const runs = chainOf(committed, options.asOf);
  const raw = await source.campaigns.get(campaignId);
  const latest = runs.at(-1);
  if (latest === undefined) throw new NothingToReportError(campaignId, raw !== undefined);
  const campaign = reportCampaignOf(raw);
  const prospects = await prospectsOf(source.lake, latest);
  const byScore = [...prospects].sort(byScoreDescending);
  const byAge = [...prospects].sort(
    (a, b) =>
      a.first_seen_date.localeCompare(b.first_seen_date) ||
      b.runs_seen - a.runs_seen ||
      b.score - a.score ||
      a.source.localeCompare(b.source),
  );
  return {
    campaignId,
    campaign,
    cadence: cadenceOf(raw),
    generatedAt: options.now.toISOString(),
    source: source.where,
    runs: runs.map((run, index) => reportRunOf(run, runs[index - 1])),
    topByScore: byScore.slice(0, options.top).map(toReportProspect),
    longestOpen: byAge.slice(0, options.top).map(toReportProspect),
    reviews: await reviewsOf(source.lake, { campaignId, runs, committed, prospects, top: options.top }),
  };
}

/**
 * The outreach sections. A report of the latest run shows every review event; a report as of an
 * earlier run shows the reviews as the next run read them at its start, so the page written after
 * each run stays the same whenever it is written (`report --publish` writes missing ones later).
 */
async function reviewsOf(
  lake: ObjectStore,
  input: {
    campaignId: string;
    runs: readonly CommittedRun[];
    committed: readonly CommittedRun[];
    prospects: readonly ProspectRow[];
    top: number;
  },
): Promise<ReportReviews> {
  const latest = input.runs.at(-1);
  const next = input.committed.find((run) => latest !== undefined && run.runDate > latest.runDate);
  const until = next?.manifest.started_at;
  return reportReviewsOf({
    prospects: input.prospects,
    events: await readReviewEvents(lake, input.campaignId, until),
    runMonths: input.runs.map((run) => run.runDate.slice(0, 7)),
    top: input.top,
    ...(until === undefined ? {} : { reviewsUntil: until }),
  });
}

/**
 * One run per date, up to the run asked for. A forced replacement can leave the replaced run's
 * manifest behind for a moment (removed by the next run); the later-finished one is the committed one.
 */
function chainOf(runs: readonly CommittedRun[], asOf: ReportOptions['asOf']): CommittedRun[] {
  const byDate = new Map<string, CommittedRun>();
  for (const run of runs) {
    if (asOf && run.runDate > asOf.runDate) continue;
    if (asOf && run.runDate === asOf.runDate && run.runId !== asOf.runId) continue;
    byDate.set(run.runDate, run);
  }
  return [...byDate.values()];
}

/**
 * The rows decoded from a prospects file, kept while its bytes are. Publishing reads the lake through
 * a view that hands the report and the digest the same bytes, so they share one decode.
 */
const decodedProspects = new WeakMap<Uint8Array, readonly ProspectRow[]>();

/** A run's prospects (the full gap list of that run). */
export async function prospectsOf(lake: ObjectStore, run: CommittedRun): Promise<readonly ProspectRow[]> {
  const key = tableKeyOf(run, 'prospects');
  const bytes = await lake.get(key);
  if (bytes === undefined)
    throw new Error(`run ${run.runId} is committed but ${key} is missing from the lake`);
  let rows = decodedProspects.get(bytes);
  if (rows === undefined) {
    rows = await decodeParquet('prospects', bytes);
    decodedProspects.set(bytes, rows);
  }
  return rows;
}

function reportRunOf({ manifest: m }: CommittedRun, previous: CommittedRun | undefined): ReportRun {
  return {
    runDate: m.run_date,
    gapSize: m.gap_size,
    newCount: m.new_count,
    closedCount: m.closed_count,
    lostCount: m.lost_count,
    reopenedCount: m.reopened_count,
    unverifiedCount: m.unverified_count,
    closureRate: m.closure_rate,
    previousGapSize: m.baseline ? null : m.previous_gap_size,
    rowsConsumed: m.rows_consumed,
    truncated: m.truncated,
    baseline: m.baseline,
    configChanged: previous !== undefined && previous.manifest.config_hash !== m.config_hash,
  };
}

function parsedOrUndefined(raw: unknown): Campaign | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseCampaign(raw);
  } catch {
    return undefined; // an invalid stored config should not stop the history from being shown
  }
}

function reportCampaignOf(raw: unknown): ReportCampaign | undefined {
  const parsed = parsedOrUndefined(raw);
  if (!parsed) return undefined;
  return {
    id: parsed.id,
    ...(parsed.name === undefined ? {} : { name: parsed.name }),
    site: parsed.site.map((site) => site.target),
    competitors: parsed.competitors.map((competitor) => competitor.target),
    schedule:
      parsed.schedule.every === 'month'
        ? `monthly, day ${parsed.schedule.day}`
        : `weekly, ${parsed.schedule.weekday}`,
    maxRowsPerRun: parsed.maxRowsPerRun,
    enabled: parsed.enabled,
  };
}

const cadenceOf = (raw: unknown): ReportModel['cadence'] => parsedOrUndefined(raw)?.schedule.every;
