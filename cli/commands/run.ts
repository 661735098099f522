import type { Command } from 'commander';
import { createMemoryQueue } from '#adapters/local/memory-queue.ts';
import { CampaignValidationError } from '#domain/campaign.ts';
import type { Digest } from '#domain/digest.ts';
import { scheduledDateOnOrBefore } from '#domain/schedule.ts';
import { dispatchDue } from '#pipeline/dispatch.ts';
import { parseStoredCampaign } from '#pipeline/stored-campaign.ts';
import { createJsonLog, silentLog } from '#shared/observability.ts';
import type { Log, RunMessage, RunStore } from '#shared/ports.ts';
import { campaignIdArgument, exitTwoOnUsageErrors } from '../arguments.ts';
import type { CommandContext } from '../context.ts';
import { ExitCodeError, UsageError } from '../errors.ts';
import { trapInterrupts } from '../interrupts.ts';
import { createLocalContext, type LocalContext } from '../local-context.ts';
import {
  holderOf,
  type LocalRunResult,
  runLocally,
  undeliveredDigestLines,
  unfinishedLine,
} from '../local-runner.ts';
import { parseDateOption, todayUtc } from '../options.ts';
import { formatTable, humanOutput, type Output, processOutput } from '../output.ts';
import { type RunProgress, runProgress } from '../progress.ts';

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
      dropped: outcome.droppedRows,
      truncated: m.truncated ? 'yes' : 'no',
    };
  }
  if (outcome.outcome === 'failed' || outcome.outcome === 'refused')
    return { ...base, error: outcome.message };
  if (outcome.outcome === 'busy') return { ...base, held_by: holderOf(outcome.holder) };
  if (outcome.outcome === 'paused') {
    return { ...base, run_date: outcome.runDate, pages: outcome.pages, rows: outcome.rowsConsumed };
  }
  return base;
}

/** A line for each committed run that dropped rows: the count is in the table, this says what it means. */
export function droppedRowsLines(results: readonly LocalRunResult[]): string[] {
  return results.flatMap(({ message, outcome }) =>
    outcome.outcome === 'committed' && outcome.droppedRows > 0
      ? [
          `${message.campaignId} ${outcome.runDate}: ${outcome.droppedRows} rows Moz returned were outside the ` +
            'lake contract and dropped (still metered); run --verbose logs why each one was',
        ]
      : [],
  );
}

/**
 * --force says what it is about to replace before it spends anything. A date older than the latest
 * committed run is not announced: the run refuses it and its row says why.
 */
async function announceForce(runs: RunStore, messages: readonly RunMessage[], human: Output): Promise<void> {
  for (const { campaignId, runDate } of messages) {
    const latest = await runs.latest(campaignId);
    if (latest !== undefined && latest.runDate > runDate) continue;
    const record = await runs.get(campaignId, runDate);
    const summary = record?.status === 'SUCCEEDED' ? record.summary : undefined;
    human.err(
      summary
        ? `--force: replacing the committed run ${record?.runId} of ${campaignId} ${runDate} (gap ${summary.gapSize}, ${summary.rowsConsumed} Moz rows)`
        : `--force: ${campaignId} ${runDate} has no committed run to replace; running it normally`,
    );
  }
}

/**
 * The runs the command does: the campaign asked for, at its latest scheduled date, or every campaign
 * due on `asOf`; and the stored campaigns that could not be read (each fails alone, exit code 1).
 */
async function runsToDo(
  local: LocalContext,
  campaignId: string | undefined,
  asOf: string,
  log: Log,
  human: Output,
): Promise<{ messages: RunMessage[]; broken: { campaignId: string; message: string }[] }> {
  if (campaignId === undefined) {
    const queue = createMemoryQueue();
    const dispatched = await dispatchDue(
      { today: asOf },
      { campaigns: local.campaigns, runs: local.runs, queue, log },
    );
    for (const invalid of dispatched.invalid)
      human.err(`campaign ${invalid.campaignId} failed, not run: ${invalid.message}`);
    return { messages: queue.drain(), broken: dispatched.invalid };
  }
  const raw = await local.campaigns.get(campaignId);
  if (raw === undefined) throw new UsageError(`no campaign "${campaignId}" (linkgap campaign list)`);
  try {
    const campaign = parseStoredCampaign(campaignId, raw);
    return {
      messages: [{ campaignId: campaign.id, runDate: scheduledDateOnOrBefore(campaign.schedule, asOf) }],
      broken: [],
    };
  } catch (error) {
    if (!(error instanceof CampaignValidationError)) throw error;
    throw new ExitCodeError(`campaign ${campaignId} failed: ${error.message}`, 1);
  }
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
      // Progress goes to stderr: a bar per campaign on a terminal, a line every 30 s / 10 pages otherwise.
      let progress: RunProgress | undefined;
      const local = await createLocalContext({
        env: context.env,
        log,
        progress: (event) => progress?.sink(event),
      });
      progress = runProgress({
        tty: context.output === processOutput && process.stderr.isTTY === true && !context.env.CI,
        stream: process.stderr,
        writeLine: (line) => human.err(line),
        spacingMs: local.spacingMs,
      });
      try {
        const { messages, broken } = await runsToDo(local, options.campaign, asOf, log, human);
        if (messages.length === 0) {
          human.out(`nothing is due on ${asOf}`);
        } else {
          if (options.force) await announceForce(local.runs, messages, human);
          const interrupts = trapInterrupts(human);
          const digests: Digest[] = [];
          const results = await runLocally(local, messages, {
            force: options.force,
            log,
            signal: interrupts.signal,
            onDigest: (digest) => digests.push(digest),
            env: context.env,
            progress: progress.sink,
          }).finally(() => {
            interrupts.release();
            progress?.stop();
          });
          human.out(formatTable(results.map(outcomeRow)));
          for (const line of droppedRowsLines(results)) human.err(line);
          for (const line of undeliveredDigestLines(results)) human.err(line);
          // The digest each committed run publishes (SNS / webhook in AWS), as the team would read it.
          for (const digest of digests) human.out(`\n${digest.text}`);
          const unfinished = unfinishedLine(results, {
            interrupted: interrupts.signal.aborted,
            expected: messages.length,
          });
          // Exit code 0 with a line: a signal that came after every run had committed, said as a note.
          if (unfinished?.exitCode === 0) human.err(`linkgap: ${unfinished.line}`);
          else if (unfinished) throw new ExitCodeError(unfinished.line, unfinished.exitCode);
        }
        if (broken.length > 0) throw new ExitCodeError(`${broken.length} campaign(s) could not be read`, 1);
      } finally {
        await local.close();
      }
    });
}
