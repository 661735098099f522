import type { Command } from 'commander';
import { createMemoryQueue } from '#adapters/local/memory-queue.ts';
import { CampaignValidationError } from '#domain/campaign.ts';
import { scheduledDateOnOrBefore } from '#domain/schedule.ts';
import { dispatchDue } from '#pipeline/dispatch.ts';
import { parseStoredCampaign } from '#pipeline/stored-campaign.ts';
import { createJsonLog, silentLog } from '#shared/observability.ts';
import type { RunMessage } from '#shared/ports.ts';
import { campaignIdArgument, exitTwoOnUsageErrors } from '../arguments.ts';
import type { CommandContext } from '../context.ts';
import { ExitCodeError, UsageError } from '../errors.ts';
import { createLocalContext } from '../local-context.ts';
import { type LocalRunResult, runLocally } from '../local-runner.ts';
import { parseDateOption, todayUtc } from '../options.ts';
import { formatTable, humanOutput } from '../output.ts';

export function outcomeRow(result: LocalRunResult): Record<string, unknown> {
  const { message, outcome } = result;
  const base = { campaign: message.campaignId, run_date: message.runDate, outcome: outcome.outcome };
  if (outcome.outcome === 'committed') {
    const m = outcome.manifest;
    return {
      ...base,
      gap: m.gap_size,
      new: m.new_count,
      closed: m.closed_count,
      lost: m.lost_count,
      unverified: m.unverified_count,
      reopened: m.reopened_count,
      rows: m.rows_consumed,
      truncated: m.truncated ? 'yes' : 'no',
    };
  }
  if (outcome.outcome === 'failed') return { ...base, error: outcome.message };
  return base;
}

export function registerRunCommand(program: Command, context: CommandContext): void {
  exitTwoOnUsageErrors(program.command('run'))
    .description('run the campaigns that are due (or one campaign) against Moz or the embedded simulator')
    .option('--campaign <id>', 'run only this campaign, for its latest scheduled date')
    .option('--as-of <date>', 'pretend today is this date (YYYY-MM-DD, not in the future)')
    .option('--force', 'run again even if that date already succeeded')
    .option('--verbose', 'print JSON logs to stderr')
    .action(async (options: { campaign?: string; asOf?: string; force?: boolean; verbose?: boolean }) => {
      const today = todayUtc();
      const asOf =
        options.asOf === undefined ? today : parseDateOption(options.asOf, '--as-of', { notAfter: today });
      if (options.campaign !== undefined) campaignIdArgument(options.campaign, '--campaign id');
      // Run errors carry text from the Moz API: printed for people, so made printable.
      const human = humanOutput(context.output);
      const log = options.verbose
        ? createJsonLog({ level: 'debug', write: (line) => context.output.err(line) })
        : silentLog;
      const local = await createLocalContext({ env: context.env, log });
      try {
        let messages: RunMessage[];
        /** Campaigns that could not be read: each fails alone and makes the exit code 1. */
        const broken: { campaignId: string; message: string }[] = [];
        if (options.campaign) {
          const raw = await local.campaigns.get(options.campaign);
          if (raw === undefined)
            throw new UsageError(`no campaign "${options.campaign}" (linkgap campaign list)`);
          try {
            const campaign = parseStoredCampaign(options.campaign, raw);
            messages = [
              { campaignId: campaign.id, runDate: scheduledDateOnOrBefore(campaign.schedule, asOf) },
            ];
          } catch (error) {
            if (!(error instanceof CampaignValidationError)) throw error;
            throw new ExitCodeError(`campaign ${options.campaign} failed: ${error.message}`, 1);
          }
        } else {
          const queue = createMemoryQueue();
          const dispatched = await dispatchDue(
            { today: asOf },
            { campaigns: local.campaigns, runs: local.runs, queue, log },
          );
          broken.push(...dispatched.invalid);
          for (const invalid of broken)
            human.err(`campaign ${invalid.campaignId} failed, not run: ${invalid.message}`);
          messages = queue.drain();
        }
        if (messages.length === 0) {
          human.out(`nothing is due on ${asOf}`);
        } else {
          const results = await runLocally(local, messages, { force: options.force, log });
          human.out(formatTable(results.map(outcomeRow)));
          const failed = results.filter((result) => result.outcome.outcome === 'failed').length;
          if (failed + broken.length > 0)
            throw new ExitCodeError(`${failed + broken.length} campaign run(s) failed`, 1);
        }
        if (broken.length > 0) throw new ExitCodeError(`${broken.length} campaign(s) could not be read`, 1);
      } finally {
        await local.close();
      }
    });
}
