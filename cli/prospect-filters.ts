/**
 * The prospect filters `review export` and `download --format csv` share: --state, --status, --min-da,
 * --max-spam, --min-score, --min-matches. Each bad value is a one-line UsageError naming the option.
 */
import type { Command } from 'commander';
import { MAX_TARGETS } from '#domain/campaign.ts';
import { parseReviewState, type ReviewState } from '#domain/review.ts';
import type { ProspectRow } from '#lake/schema.ts';
import { UsageError } from './errors.ts';
import { parseWholeNumberOption } from './options.ts';

export interface ProspectFilterOptions {
  state?: string;
  status?: string;
  minDa?: string;
  maxSpam?: string;
  minScore?: string;
  minMatches?: string;
}

export function addProspectFilterOptions(command: Command): Command {
  return command
    .option('--state <states>', 'review states, a comma list (to_review, approved, contacted, won)')
    .option('--status <statuses>', 'gap statuses, a comma list (new, persisting, reopened)')
    .option('--min-da <n>', 'domain authority at least n (0-100)')
    .option(
      '--max-spam <n>',
      'spam score at most n (0-100); sources Moz has not scored (empty spam_score) are kept',
    )
    .option('--min-score <n>', 'prospect score at least n (0-100)')
    .option('--min-matches <n>', 'linking to at least n competitors');
}

/**
 * Domain Authority, Spam Score and the prospect score are all on Moz's 0-100 scale, written as plain
 * decimals (40, 12.5): Number() alone would read 0x10 as 16 and 1e1 as 10. A leading minus is read so
 * that -5 gets the range message.
 */
function percentOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,10}(\.\d{1,10})?$/.test(value))
    throw new UsageError(
      `${name} must be a decimal number from 0 to 100 (like 40 or 12.5), got ${JSON.stringify(value.slice(0, 40))}`,
    );
  const parsed = Number(value);
  if (parsed < 0 || parsed > 100) throw new UsageError(`${name} must be between 0 and 100, got ${value}`);
  return parsed;
}

/**
 * The filters set, as a file-name part (`status-new-min-da-90`), or '' when none is: a filtered
 * download is named after its filter so it never overwrites the whole file. Values are the checked
 * ones (enumerated words and numbers), so the part is safe in a file name.
 */
export function prospectFilterLabel(options: ProspectFilterOptions): string {
  const parsed = parseFilters(options);
  const parts: string[] = [];
  if (parsed.states) parts.push(`state-${parsed.states.join('+')}`);
  if (parsed.statuses) parts.push(`status-${parsed.statuses.join('+')}`);
  if (parsed.minDa !== undefined) parts.push(`min-da-${parsed.minDa}`);
  if (parsed.maxSpam !== undefined) parts.push(`max-spam-${parsed.maxSpam}`);
  if (parsed.minScore !== undefined) parts.push(`min-score-${parsed.minScore}`);
  if (parsed.minMatches !== undefined) parts.push(`min-matches-${parsed.minMatches}`);
  return parts.join('-');
}

function listOption<T extends string>(
  value: string | undefined,
  name: string,
  parseOne: (text: string) => T | undefined,
  allowed: string,
): T[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((text) => {
    const parsed = parseOne(text);
    if (parsed === undefined)
      throw new UsageError(`${name} must be ${allowed}; got ${JSON.stringify(text.trim().slice(0, 40))}`);
    return parsed;
  });
}

const STATUSES = ['new', 'persisting', 'reopened'] as const;

/** Every filter value, checked: a one-line UsageError naming the option for a bad one. */
function parseFilters(options: ProspectFilterOptions) {
  const states = listOption<ReviewState>(
    options.state,
    '--state',
    parseReviewState,
    'review states (to_review, approved, contacted, won, rejected, do_not_contact)',
  );
  const statuses = listOption(
    options.status,
    '--status',
    (text) => STATUSES.find((status) => status === text.trim().toLowerCase()),
    'new, persisting or reopened',
  );
  const minDa = percentOption(options.minDa, '--min-da');
  const maxSpam = percentOption(options.maxSpam, '--max-spam');
  const minScore = percentOption(options.minScore, '--min-score');
  // A count of competitors: a campaign has at most MAX_TARGETS targets, so no row matches more.
  const minMatches =
    options.minMatches === undefined
      ? undefined
      : parseWholeNumberOption(options.minMatches, '--min-matches', { min: 0, max: MAX_TARGETS });
  return { states, statuses, minDa, maxSpam, minScore, minMatches };
}

/** The filter the options describe, as a row predicate; checks every value first. */
export function prospectFilter(options: ProspectFilterOptions): (
  row: Pick<ProspectRow, 'status' | 'domain_authority' | 'spam_score' | 'score' | 'matched_count'> & {
    review_state?: string;
  },
) => boolean {
  const { states, statuses, minDa, maxSpam, minScore, minMatches } = parseFilters(options);
  return (row) =>
    (states === undefined || states.includes((row.review_state ?? 'to_review') as ReviewState)) &&
    (statuses === undefined || (statuses as string[]).includes(row.status)) &&
    (minDa === undefined || row.domain_authority >= minDa) &&
    (maxSpam === undefined || row.spam_score === null || row.spam_score <= maxSpam) &&
    (minScore === undefined || row.score >= minScore) &&
    (minMatches === undefined || row.matched_count >= minMatches);
}
