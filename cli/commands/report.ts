import { resolve } from 'node:path';
import type { Command } from 'commander';
import { LakeKeyError } from '#lake/errors.ts';
import { writeMissingReports } from '#pipeline/publish.ts';
import { silentLog } from '#shared/observability.ts';
import { buildReportModel as buildSharedReportModel, NothingToReportError } from '#shared/report/model.ts';
import { type ReportModel, renderReport } from '#shared/report/render.ts';
import { type AwsOptions, type Backend, openBackend } from '../backend.ts';
import type { CommandContext } from '../context.ts';
import { ExitCodeError, UsageError, writeUserFile } from '../errors.ts';
import { parseWholeNumberOption, stackOption } from '../options.ts';
import { humanOutput } from '../output.ts';

interface ReportOptions extends AwsOptions {
  campaign: string;
  out: string;
  top: string;
  publish?: boolean;
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
    .option(
      '--publish',
      'instead: write the report of each committed run that has none into the lake (reports/campaign_id=<id>/...)',
    )
    .option('--aws', 'read the deployed stack (S3 lake, DynamoDB table) instead of $LINKGAP_HOME')
    .option(...stackOption('table'))
    .option(...stackOption('bucket'))
    .action(async (options: ReportOptions) => {
      const top = parseWholeNumberOption(options.top, '--top', { min: 1, max: 500 });
      const backend = await openBackend(options, context.env);
      try {
        if (options.publish) return await publishMissing(backend, options.campaign, context);
        const model = await buildReportModel(backend, options.campaign, { top, now: new Date() });
        const path = resolve(options.out);
        await writeUserFile(options.out, renderReport(model), { makeFolder: true });
        context.output.out(`report of ${options.campaign} (${model.runs.length} runs) written to ${path}`);
      } finally {
        backend.close();
      }
    });
}

/** The report's numbers: manifests of every committed run, and the latest run's prospects. */
export async function buildReportModel(
  backend: Backend,
  campaignId: string,
  options: { top: number; now: Date },
): Promise<ReportModel> {
  const source = { lake: backend.lake(), campaigns: backend.campaigns(), where: backend.lakeWhere() };
  try {
    return await buildSharedReportModel(source, campaignId, options);
  } catch (error) {
    if (error instanceof LakeKeyError) throw new UsageError(error.message);
    if (!(error instanceof NothingToReportError)) throw error;
    throw new UsageError(
      error.campaignExists
        ? `campaign "${campaignId}" has no committed runs yet: nothing to report (linkgap run --campaign ${campaignId})`
        : `no campaign "${campaignId}" and no runs of it in ${backend.lakeWhere()} (linkgap campaign list)`,
    );
  }
}

/** --publish: the report of each committed run that has none in the lake yet, as the runner writes it. */
async function publishMissing(backend: Backend, campaignId: string, context: CommandContext): Promise<void> {
  const lake = backend.lake();
  const log = silentLog;
  const deps = { lake, campaigns: backend.campaigns(), clock: () => new Date(), log };
  const { written, failed } = await writeMissingReports(campaignId, deps, backend.lakeWhere()).catch(
    (error: unknown) => {
      if (error instanceof LakeKeyError) throw new UsageError(error.message);
      throw error;
    },
  );
  const out = humanOutput(context.output).out;
  const where = backend.lakeWhere();
  out(`${written.length} missing report(s) of ${campaignId} written to ${where}`);
  for (const key of written) out(`  ${key}`);
  if (failed.length > 0)
    throw new ExitCodeError(`${failed.length} report(s) could not be written: ${failed.join(', ')}`, 1);
}
