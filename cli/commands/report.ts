import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { type Campaign, parseCampaign } from '#domain/campaign.ts';
import { decodeParquet } from '#lake/parquet.ts';
import type { ProspectRow } from '#lake/schema.ts';
import { type ReportModel, type ReportProspect, renderReport } from '#shared/report/render.ts';
import { type AwsOptions, type Backend, openBackend } from '../backend.ts';
import { type CommittedRun, committedRuns, tableKeyOf } from '../committed-runs.ts';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../errors.ts';

interface ReportOptions extends AwsOptions {
  campaign: string;
  out: string;
  top: string;
}

export function registerReportCommand(program: Command, context: CommandContext): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML report of a campaign: gap, changes, closure rate, top prospects, Moz rows',
    )
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--out <file>', 'where to write the page', 'report.html')
    .option('--top <n>', 'rows in each prospects table', '20')
    .option('--aws', 'read the deployed stack (S3 lake, DynamoDB table) instead of $LINKGAP_HOME')
    .option('--table <name>', 'DynamoDB table (default: $LINKGAP_TABLE; stack output TableName)')
    .option('--bucket <name>', 'S3 lake bucket (default: $LINKGAP_BUCKET; stack output LakeBucketName)')
    .action(async (options: ReportOptions) => {
      const top = Number(options.top);
      if (!Number.isInteger(top) || top < 1 || top > 500) throw new UsageError('--top must be 1-500');
      const backend = await openBackend(options, context.env);
      try {
        const model = await buildReportModel(backend, options.campaign, { top, now: new Date() });
        const path = resolve(options.out);
        try {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, renderReport(model));
        } catch (error) {
          throw new UsageError(
            `cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
        }
        context.output.out(`report of ${options.campaign} (${model.runs.length} runs) written to ${path}`);
      } finally {
        backend.close();
      }
    });
}

const scheduleText = (campaign: Campaign) =>
  campaign.schedule.every === 'month'
    ? `monthly, day ${campaign.schedule.day}`
    : `weekly, ${campaign.schedule.weekday}`;

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** The report's numbers: manifests of every committed run, and the latest run's prospects. */
export async function buildReportModel(
  backend: Backend,
  campaignId: string,
  options: { top: number; now: Date },
): Promise<ReportModel> {
  const lake = backend.lake();
  const runs = await committedRuns(lake, campaignId);
  const raw = await backend.campaigns().get(campaignId);
  if (runs.length === 0) {
    throw new UsageError(
      raw === undefined
        ? `no campaign "${campaignId}" and no runs of it in ${backend.lakeWhere()} (linkgap campaign list)`
        : `campaign "${campaignId}" has no committed runs yet: nothing to report (linkgap run --campaign ${campaignId})`,
    );
  }
  let campaign: ReportModel['campaign'];
  if (raw !== undefined) {
    try {
      const parsed = parseCampaign(raw);
      campaign = {
        id: parsed.id,
        ...(parsed.name === undefined ? {} : { name: parsed.name }),
        site: parsed.site.map((site) => site.target),
        competitors: parsed.competitors.map((competitor) => competitor.target),
        schedule: scheduleText(parsed),
        maxRowsPerRun: parsed.maxRowsPerRun,
        enabled: parsed.enabled,
      };
    } catch {
      campaign = undefined; // an invalid stored config should not stop the history from being shown
    }
  }

  const prospects = await latestProspects(lake, runs);
  const toReport = (row: ProspectRow): ReportProspect => ({
    source: row.source,
    title: row.title,
    domainAuthority: row.domain_authority,
    matchedCount: row.matched_count,
    score: row.score,
    firstSeenDate: row.first_seen_date,
    runsSeen: row.runs_seen,
    daysOpen: daysBetween(row.first_seen_date, row.run_date),
  });
  const byScore = [...prospects].sort(
    (a, b) =>
      b.score - a.score || b.domain_authority - a.domain_authority || a.source.localeCompare(b.source),
  );
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
    generatedAt: options.now.toISOString(),
    source: backend.lakeWhere(),
    runs: runs.map(({ manifest: m }) => ({
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
    })),
    topByScore: byScore.slice(0, options.top).map(toReport),
    longestOpen: byAge.slice(0, options.top).map(toReport),
  };
}

async function latestProspects(
  lake: ReturnType<Backend['lake']>,
  runs: readonly CommittedRun[],
): Promise<ProspectRow[]> {
  const latest = runs.at(-1);
  if (!latest) return [];
  const key = tableKeyOf(latest, 'prospects');
  const bytes = await lake.get(key);
  if (bytes === undefined)
    throw new Error(`run ${latest.runId} is committed but ${key} is missing from the lake`);
  return decodeParquet('prospects', bytes);
}
