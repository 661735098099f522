import type { Command } from 'commander';
import { type Review, sourceMatchKey } from '#domain/review.ts';
import { changesKey, prospectsKey, reviewEventsPrefix } from '#lake/keys.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { decodeReviewEvents } from '#lake/review-events.ts';
import { campaignIdArgument, exitTwoOnUsageErrors } from '../arguments.ts';
import { type AwsOptions, openBackend } from '../backend.ts';
import { committedRuns } from '../committed-runs.ts';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { stackOption } from '../options.ts';
import { formatTable, humanOutput } from '../output.ts';

interface ProspectOptions extends AwsOptions {
  campaign: string;
}

export function registerProspectCommand(program: Command, context: CommandContext): void {
  exitTwoOnUsageErrors(program.command('prospect'))
    .description(
      "show one prospect's whole story: every run that listed it, every change, every review event",
    )
    .requiredOption('--campaign <id>', 'campaign id')
    .argument('<source>', 'the prospect, as listed (e.g. blog.example or blog.example/links)')
    .option('--aws', 'read the deployed stack (DynamoDB table, S3 lake) instead of $LINKGAP_HOME')
    .option(...stackOption('table'))
    .option(...stackOption('bucket'))
    .action(async (typed: string, options: ProspectOptions) => {
      campaignIdArgument(options.campaign, '--campaign id');
      // Matched as `review set` and `import` match it: the host in any case, the path as written.
      const key = sourceMatchKey(typed);
      // The source as the lake spells it, once a run, change or event names it.
      let source: string | undefined;
      const found = (candidate: string) => {
        if (sourceMatchKey(candidate) !== key) return false;
        source ??= candidate;
        return true;
      };
      const backend = await openBackend(options, context.env);
      try {
        const lake = backend.lake();
        const listed: Record<string, unknown>[] = [];
        const changes: Record<string, unknown>[] = [];
        for (const run of await committedRuns(lake, options.campaign)) {
          const prospects = await lake.get(prospectsKey(run.campaignId, run.runDate, run.runId));
          const row = prospects && (await decodeParquet('prospects', prospects)).find((p) => found(p.source));
          if (row) {
            const { run_date, domain_authority, matched_targets, score, status, review_state, category } =
              row;
            listed.push({
              run_date,
              domain_authority,
              matched_targets,
              score,
              status,
              review_state,
              category,
            });
          }
          const changed = await lake.get(changesKey(run.campaignId, run.runDate, run.runId));
          for (const change of changed ? await decodeParquet('changes', changed) : []) {
            if (!found(change.source)) continue;
            changes.push({
              run_date: change.run_date,
              change: change.change,
              days_in_gap: change.days_in_gap,
              review_state: change.review_state,
            });
          }
        }
        const events: Record<string, unknown>[] = [];
        for (const key of await lake.list(reviewEventsPrefix(options.campaign))) {
          const bytes = await lake.get(key);
          for (const event of bytes ? decodeReviewEvents(bytes) : []) {
            if (!found(event.source)) continue;
            const { changed_at, changed_by, origin, from_state, to_state, to_category, outcome, note } =
              event;
            events.push({
              changed_at,
              changed_by,
              origin,
              from_state,
              to_state,
              category: to_category,
              outcome,
              note,
            });
          }
        }
        const review = await backend.reviews().get(options.campaign, source ?? typed);
        if (listed.length === 0 && changes.length === 0 && events.length === 0 && !review)
          throw new UsageError(
            `${typed} was never a prospect of campaign "${options.campaign}" in ${backend.lakeWhere()}`,
          );
        const out = humanOutput(context.output).out;
        out(`${source ?? typed} in ${options.campaign}`);
        out(review ? reviewLine(review) : 'review: to_review (nobody reviewed it yet)');
        out(`\nruns that listed it (${listed.length}):\n${formatTable(listed)}`);
        out(`\nchanges (${changes.length}):\n${formatTable(changes)}`);
        out(`\nreview events (${events.length}):\n${formatTable(events)}`);
      } finally {
        backend.close();
      }
    });
}

/**
 * Who made the last change (a person, or `linkgap-run` when a run promoted it to won) and, when that
 * is not them, the owner: the last person to change it, whom to ask about the prospect.
 */
function reviewLine(review: Review): string {
  const changedBy = review.lastEvent.changed_by;
  const owner = review.owner !== '' && review.owner !== changedBy ? ` (owner: ${review.owner})` : '';
  const category = review.category ? `, ${review.category}` : '';
  const note = review.note ? `: ${review.note}` : '';
  return `review: ${review.state}${category}, last changed by ${changedBy || '-'} at ${review.updatedAt}${owner}${note}`;
}
