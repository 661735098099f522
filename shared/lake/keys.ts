/**
 * The lake's key layout (DESIGN.md section 4). The same keys are S3 object keys in AWS and relative
 * paths under the lake folder locally. Table keys are hive-style (`campaign_id=…/run_date=…/`) so
 * Athena's partition projection and DuckDB's hive_partitioning read the same tree.
 */
import { LakeKeyError } from './errors.ts';
import { LAKE_TABLES, type LakeTableName, type RunTableName } from './schema.ts';

/** Campaign ids and run ids become path segments: no '/', no '=', nothing a file system or S3 mangles. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const RUN_DATE = /^\d{4}-\d{2}-\d{2}$/;

function segment(what: string, value: string): string {
  if (!SEGMENT.test(value)) {
    throw new LakeKeyError(
      `${what} ${JSON.stringify(value)} cannot be used in a lake key: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return value;
}

function runDateSegment(runDate: string): string {
  const millis = Date.parse(`${runDate}T00:00:00Z`);
  if (
    !RUN_DATE.test(runDate) ||
    Number.isNaN(millis) ||
    new Date(millis).toISOString().slice(0, 10) !== runDate
  ) {
    throw new LakeKeyError(`run date ${JSON.stringify(runDate)} is not a calendar date YYYY-MM-DD`);
  }
  return runDate;
}

function sequence(what: string, n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99_999) {
    throw new LakeKeyError(`${what} ${n} must be an integer from 0 to 99999`);
  }
  return String(n).padStart(5, '0');
}

function partitionPath(table: LakeTableName, campaignId: string, runDate: string): string {
  return `${LAKE_TABLES[table].prefix}/campaign_id=${segment('campaign id', campaignId)}/run_date=${runDateSegment(runDate)}/`;
}

/** `prospects/campaign_id=<id>/run_date=<YYYY-MM-DD>/<run_id>.parquet` */
export function prospectsKey(campaignId: string, runDate: string, runId: string): string {
  return `${partitionPath('prospects', campaignId, runDate)}${segment('run id', runId)}.parquet`;
}

/** `changes/campaign_id=<id>/run_date=<YYYY-MM-DD>/<run_id>.parquet` */
export function changesKey(campaignId: string, runDate: string, runId: string): string {
  return `${partitionPath('changes', campaignId, runDate)}${segment('run id', runId)}.parquet`;
}

/** `runs/campaign_id=<id>/run_date=<YYYY-MM-DD>/<run_id>.json`: the commit marker, written last. */
export function manifestKey(campaignId: string, runDate: string, runId: string): string {
  return `${partitionPath('runs', campaignId, runDate)}${segment('run id', runId)}.json`;
}

/** `staging/<campaign_id>/<run_date>/<run_id>/`: a run's checkpoints, expired by a lifecycle rule. */
export function stagingPrefix(campaignId: string, runDate: string, runId: string): string {
  return `staging/${segment('campaign id', campaignId)}/${runDateSegment(runDate)}/${segment('run id', runId)}/`;
}

/** `<staging>pages/00001.json`: one Link Intersect page fetched. Zero-padded so keys list in page order. */
export function pageCheckpointKey(campaignId: string, runDate: string, runId: string, page: number): string {
  return `${stagingPrefix(campaignId, runDate, runId)}pages/${sequence('page', page)}.json`;
}

/** `<staging>verify/00001.json`: one link_status batch done. */
export function verifyCheckpointKey(
  campaignId: string,
  runDate: string,
  runId: string,
  batch: number,
): string {
  return `${stagingPrefix(campaignId, runDate, runId)}verify/${sequence('verify batch', batch)}.json`;
}

/** `state/<campaign_id>/<run_id>.json.gz`: the campaign's private memory after a run; not an Athena table. */
export function ledgerKey(campaignId: string, runId: string): string {
  return `state/${segment('campaign id', campaignId)}/${segment('run id', runId)}.json.gz`;
}

/**
 * The listing prefix of a table, narrowed to a campaign and a run date when given:
 * `prospects/`, `prospects/campaign_id=<id>/`, `prospects/campaign_id=<id>/run_date=<d>/`.
 */
export function tablePrefix(table: RunTableName, campaignId?: string, runDate?: string): string {
  const root = `${LAKE_TABLES[table].prefix}/`;
  if (campaignId === undefined) {
    if (runDate !== undefined) throw new LakeKeyError('tablePrefix: a run date needs a campaign id');
    return root;
  }
  if (runDate === undefined) return `${root}campaign_id=${segment('campaign id', campaignId)}/`;
  return partitionPath(table, campaignId, runDate);
}

export interface LakeKeyParts {
  table: LakeTableName;
  campaignId: string;
  runDate: string;
  runId: string;
}

const TABLE_KEY =
  /^(prospects|changes|runs)\/campaign_id=([^/]+)\/run_date=([^/]+)\/([^/]+)\.(parquet|json)$/;

/** The parts of a prospects / changes / runs key; undefined for any other key (staging, state, strays). */
export function parseLakeKey(key: string): LakeKeyParts | undefined {
  const match = TABLE_KEY.exec(key);
  if (!match) return undefined;
  const [, table, campaignId, runDate, runId, extension] = match;
  if (table === undefined || campaignId === undefined || runDate === undefined || runId === undefined)
    return undefined;
  const tableName = table as LakeTableName;
  if (extension !== LAKE_TABLES[tableName].format) return undefined;
  try {
    segment('campaign id', campaignId);
    runDateSegment(runDate);
    segment('run id', runId);
  } catch (error) {
    if (error instanceof LakeKeyError) return undefined;
    throw error;
  }
  return { table: tableName, campaignId, runDate, runId };
}

/** `reviews/campaign_id=<id>/`: every review event of a campaign. */
export function reviewEventsPrefix(campaignId: string): string {
  return `${LAKE_TABLES.reviews.prefix}/campaign_id=${segment('campaign id', campaignId)}/`;
}

/**
 * `reviews/campaign_id=<id>/event_date=<YYYY-MM-DD>/<yyyyMMddTHHmmssSSSZ>-<event_id>.json`: one
 * review event, written once. Names sort by time within a day; the event id makes them unique, and
 * a writer that retries derives the same name, so an event is never stored twice.
 */
export function reviewEventKey(campaignId: string, changedAt: string, eventId: string): string {
  const millis = Date.parse(changedAt);
  if (Number.isNaN(millis))
    throw new LakeKeyError(`review event time ${JSON.stringify(changedAt)} is not a timestamp`);
  const iso = new Date(millis).toISOString();
  const compact = iso.replace(/[-:.]/g, '');
  return `${reviewEventsPrefix(campaignId)}event_date=${runDateSegment(iso.slice(0, 10))}/${compact}-${segment('event id', eventId)}.json`;
}

/** `<staging>reviews.json`: the reviews a run read at its start, so a resumed attempt decides the same. */
export function reviewsCheckpointKey(campaignId: string, runDate: string, runId: string): string {
  return `${stagingPrefix(campaignId, runDate, runId)}reviews.json`;
}

/**
 * `reports/campaign_id=<id>/run_date=<YYYY-MM-DD>/<run_id>.html`: the run's HTML report, derived after
 * the commit (the manifest stays the commit marker). Not an Athena table: people open it in a browser.
 */
export function reportKey(campaignId: string, runDate: string, runId: string): string {
  return `${reportsPrefix(campaignId)}run_date=${runDateSegment(runDate)}/${segment('run id', runId)}.html`;
}

/** `reports/` or `reports/campaign_id=<id>/`. */
export function reportsPrefix(campaignId?: string): string {
  return campaignId === undefined ? 'reports/' : `reports/campaign_id=${segment('campaign id', campaignId)}/`;
}
