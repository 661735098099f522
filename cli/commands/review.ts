import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  InvalidReviewError,
  MAX_NOTE_LENGTH,
  parseReviewCategory,
  parseReviewState,
  REVIEW_STATES,
  type ReviewEdit,
} from '#domain/review.ts';
import { applyReviewChanges, type ReviewChangeResult, ReviewConflictError } from '#pipeline/review-edits.ts';
import { exitTwoOnUsageErrors } from '../arguments.ts';
import { type AwsOptions, openBackend } from '../backend.ts';
import type { CommandContext } from '../context.ts';
import { readUserBytes, UsageError, writeUserFile } from '../errors.ts';
import { stackOption } from '../options.ts';
import { humanOutput } from '../output.ts';
import { addProspectFilterOptions, type ProspectFilterOptions, prospectFilter } from '../prospect-filters.ts';
import {
  decodeQueueFile,
  MAX_QUEUE_FILE_BYTES,
  parseQueueCsv,
  QueueImportError,
  queueCsv,
} from '../review-csv.ts';
import { loadReviewQueue, reviewer } from '../review-queue.ts';

interface ReviewOptions extends AwsOptions {
  campaign: string;
  by?: string;
}

const withAws = (command: Command) =>
  command
    .option('--aws', 'use the deployed stack (DynamoDB table, S3 lake) instead of $LINKGAP_HOME')
    .option(...stackOption('table'))
    .option(...stackOption('bucket'));

export function registerReviewCommands(program: Command, context: CommandContext): void {
  const review = exitTwoOnUsageErrors(program.command('review')).description(
    'the outreach review queue: export it as CSV, import the edited file, or set one review (local, or --aws)',
  );

  addProspectFilterOptions(
    withAws(
      review
        .command('export')
        .description('write the current gap list with its reviews as a CSV for a spreadsheet or CRM')
        .requiredOption('--campaign <id>', 'campaign id')
        .requiredOption('--out <file>', 'CSV file to write'),
    ),
  ).action(async (options: ReviewOptions & ProspectFilterOptions & { out: string }) => {
    const keep = prospectFilter(options);
    const backend = await openBackend(options, context.env);
    try {
      const queue = await loadReviewQueue(backend, options.campaign);
      if (queue.runDate === undefined)
        throw new UsageError(
          `campaign "${options.campaign}" has no committed runs yet (linkgap run --campaign ${options.campaign})`,
        );
      const rows = queue.prospects
        .map((prospect) => ({ prospect, review: queue.reviews.get(prospect.source) }))
        .filter(({ prospect, review }) => keep({ ...prospect, review_state: review?.state ?? 'to_review' }));
      await writeUserFile(options.out, queueCsv(rows));
      humanOutput(context.output).out(
        `exported ${rows.length} of ${queue.prospects.length} prospect(s) of ${options.campaign} (run ${queue.runDate}) to ${options.out}; edit category, state and note, then: linkgap review import --campaign ${options.campaign} ${options.out}`,
      );
    } finally {
      backend.close();
    }
  });

  withAws(
    review
      .command('import')
      .description(
        'apply the category, state and note of an edited queue CSV: every row valid, or nothing applied',
      )
      .requiredOption('--campaign <id>', 'campaign id')
      .option('--by <name>', 'who made the changes (default: $LINKGAP_USER or your login name)')
      .argument('<file>', 'the CSV, as a spreadsheet saved it'),
  ).action(async (file: string, options: ReviewOptions) => {
    const by = reviewer(options.by, context.env);
    const text = decodeQueueFile(
      await readUserBytes(file, { maxBytes: MAX_QUEUE_FILE_BYTES, what: 'a review queue file' }),
    );
    const backend = await openBackend(options, context.env);
    try {
      const queue = await loadReviewQueue(backend, options.campaign);
      let requests: ReturnType<typeof parseQueueCsv>;
      try {
        requests = parseQueueCsv(file, text, queue.prospectSource);
      } catch (error) {
        if (error instanceof QueueImportError) throw new UsageError(error.message);
        throw error;
      }
      const result = await apply(backend, options.campaign, requests, by, 'import');
      printChanges(context, options.campaign, result);
    } finally {
      backend.close();
    }
  });

  withAws(
    review
      .command('set')
      .description('change one review: its state, category or note')
      .requiredOption('--campaign <id>', 'campaign id')
      .argument('<source>', 'the prospect, as listed (e.g. blog.example or blog.example/links)')
      .option('--state <state>', `one of ${REVIEW_STATES.join(', ')}`)
      .option(
        '--category <category>',
        'resource_page, editorial, directory, partnership, other, or "" to unset',
      )
      .option('--note <text>', 'a note for the team')
      .option('--by <name>', 'who made the change (default: $LINKGAP_USER or your login name)'),
  ).action(
    async (source: string, options: ReviewOptions & { state?: string; category?: string; note?: string }) => {
      const edit = editOf(options);
      const by = reviewer(options.by, context.env);
      const backend = await openBackend(options, context.env);
      try {
        const queue = await loadReviewQueue(backend, options.campaign);
        const listed = queue.prospectSource(source);
        if (listed === undefined)
          throw new UsageError(
            `${source} is not a prospect of campaign "${options.campaign}" (linkgap review export lists them)`,
          );
        const result = await apply(backend, options.campaign, [{ source: listed, edit }], by, 'cli');
        printChanges(context, options.campaign, result);
      } finally {
        backend.close();
      }
    },
  );
}

function editOf(options: { state?: string; category?: string; note?: string }): ReviewEdit {
  const edit: ReviewEdit = {};
  if (options.state !== undefined) {
    const state = parseReviewState(options.state);
    if (!state)
      throw new UsageError(
        `--state must be one of ${REVIEW_STATES.join(', ')}; got ${JSON.stringify(options.state.slice(0, 40))}`,
      );
    edit.state = state;
  }
  if (options.category !== undefined) {
    const category = parseReviewCategory(options.category);
    if (category === undefined)
      throw new UsageError(
        `--category must be resource_page, editorial, directory, partnership, other or ""; got ${JSON.stringify(options.category.slice(0, 40))}`,
      );
    edit.category = category;
  }
  if (options.note !== undefined) {
    if (options.note.length > MAX_NOTE_LENGTH)
      throw new UsageError(
        `--note is ${options.note.length} characters; a note holds at most ${MAX_NOTE_LENGTH}`,
      );
    edit.note = options.note;
  }
  if (Object.keys(edit).length === 0)
    throw new UsageError('say what to change: --state, --category or --note');
  return edit;
}

async function apply(
  backend: Awaited<ReturnType<typeof openBackend>>,
  campaignId: string,
  requests: Parameters<typeof applyReviewChanges>[2],
  by: string,
  origin: 'cli' | 'import',
): Promise<ReviewChangeResult> {
  try {
    return await applyReviewChanges(
      { reviews: backend.reviews(), lake: backend.lake() },
      campaignId,
      requests,
      {
        by,
        at: new Date().toISOString(),
        origin,
        batchId: randomUUID(),
      },
    );
  } catch (error) {
    if (error instanceof ReviewConflictError || error instanceof InvalidReviewError)
      throw new UsageError(error.message);
    throw error;
  }
}

function printChanges(context: CommandContext, campaignId: string, result: ReviewChangeResult): void {
  const out = humanOutput(context.output).out;
  if (result.changed.length === 0) {
    out(`no changes: all ${result.unchanged} review(s) of ${campaignId} already say so`);
    return;
  }
  const perState = new Map<string, number>();
  for (const { after } of result.changed) perState.set(after.state, (perState.get(after.state) ?? 0) + 1);
  const counts = [...perState].map(([state, count]) => `${state} ${count}`).join(', ');
  out(
    `changed ${result.changed.length} review(s) of ${campaignId} (${counts}); ${result.unchanged} unchanged`,
  );
  for (const { before, after } of result.changed.slice(0, 50)) {
    const category =
      before.category === after.category ? '' : ` [${before.category ?? '-'} -> ${after.category ?? '-'}]`;
    const note = before.note === after.note ? '' : ' (note)';
    out(`  ${after.source}: ${before.state} -> ${after.state}${category}${note}`);
  }
  if (result.changed.length > 50) out(`  ... and ${result.changed.length - 50} more`);
}
