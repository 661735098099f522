/**
 * The digest a committed run publishes (SNS email, a Slack-compatible webhook, the terminal): a short
 * plain-text summary, and message attributes subscribers can filter on. Pure: numbers in, text out.
 */
import type { ProspectRow, RunManifest } from './lake-contract.ts';
import { withoutControlCharacters } from './printable.ts';

/** How many new prospects the digest lists. */
export const DIGEST_TOP = 10;

export interface DigestInput {
  manifest: RunManifest;
  campaignName?: string;
  /** The run's prospects (any order); the digest lists the top new ones by score. */
  prospects: readonly ProspectRow[];
  /** Where the report is: a presigned URL in AWS, a file path locally; undefined when it could not be written. */
  reportLink?: { href: string; note?: string };
  /** No committed run before this one (a baseline then means "first run", not "the config changed"). */
  firstRun: boolean;
}

export interface Digest {
  campaignId: string;
  runDate: string;
  runId: string;
  /** ASCII, one line, at most 100 characters (an SNS subject). */
  subject: string;
  text: string;
  /** Filterable attributes: strings and numbers only. */
  attributes: Record<string, string | number>;
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const signed = (value: number) => `${value >= 0 ? '+' : '-'}${integer(Math.abs(value))}`;

/** The top new (and reopened) prospects by score: the ones worth an outreach mail this month. */
export function topNewProspects(prospects: readonly ProspectRow[], top = DIGEST_TOP): ProspectRow[] {
  return prospects
    .filter((row) => row.status === 'new' || row.status === 'reopened')
    .sort(
      (a, b) =>
        b.score - a.score || b.domain_authority - a.domain_authority || a.source.localeCompare(b.source),
    )
    .slice(0, top);
}

export function buildDigest(input: DigestInput): Digest {
  const m = input.manifest;
  // Names stored before control characters were refused at validation still reach here.
  const name = withoutControlCharacters(input.campaignName ?? '').trim();
  const who = name ? `${name} (${m.campaign_id})` : m.campaign_id;
  const lines = [`linkgap: ${who}, run of ${m.run_date}`, '', gapLine(m), countsLine(m), budgetLine(m)];
  if (m.truncated)
    lines.push(
      '! Truncated: the Moz row budget ran out before the run finished; departed prospects beyond the cut are unverified.',
    );
  if (m.baseline)
    lines.push(
      input.firstRun
        ? '! First run: this is the baseline, so every prospect counts as new.'
        : '! New baseline: the campaign config changed, so this run is not compared with the earlier ones.',
    );
  lines.push('', ...prospectLines(topNewProspects(input.prospects)));
  lines.push('', reportLine(input.reportLink));
  return {
    campaignId: m.campaign_id,
    runDate: m.run_date,
    runId: m.run_id,
    subject: subjectOf(name || m.campaign_id, m),
    text: `${lines.join('\n')}\n`,
    attributes: {
      campaign_id: m.campaign_id,
      run_date: m.run_date,
      run_id: m.run_id,
      gap_size: m.gap_size,
      new_count: m.new_count,
      closed_count: m.closed_count,
      lost_count: m.lost_count,
      unverified_count: m.unverified_count,
      reopened_count: m.reopened_count,
      rows_consumed: m.rows_consumed,
      truncated: String(m.truncated),
      baseline: String(m.baseline),
    },
  };
}

function gapLine(m: RunManifest): string {
  if (m.baseline || m.previous_gap_size === null) return `Gap: ${integer(m.gap_size)} prospects`;
  return `Gap: ${integer(m.gap_size)} prospects (${signed(m.gap_size - m.previous_gap_size)} since the previous run)`;
}

const countsLine = (m: RunManifest) =>
  `New ${integer(m.new_count)} | Closed (earned links) ${integer(m.closed_count)} | Lost ${integer(m.lost_count)} | Unverified ${integer(m.unverified_count)} | Reopened ${integer(m.reopened_count)}`;

function budgetLine(m: RunManifest): string {
  const share =
    m.max_rows_per_run > 0 ? ` (${Math.round((m.rows_consumed / m.max_rows_per_run) * 100)}%)` : '';
  return `Moz rows: ${integer(m.rows_consumed)} of the ${integer(m.max_rows_per_run)} budget${share}`;
}

function prospectLines(top: readonly ProspectRow[]): string[] {
  if (top.length === 0) return ['No new prospects in this run.'];
  return [
    `Top ${top.length} new prospects by score:`,
    ...top.map((row, index) => {
      const spam = row.spam_score === null ? 'spam -' : `spam ${row.spam_score}%`;
      const matched = row.matched_targets.join(', ');
      return `${String(index + 1).padStart(2)}. ${row.source}  score ${row.score.toFixed(1)}, DA ${row.domain_authority}, ${spam}, links to ${matched}`;
    }),
  ];
}

function reportLine(link: DigestInput['reportLink']): string {
  if (!link) return 'Report: not available (linkgap report --publish writes it).';
  return `Report${link.note ? ` (${link.note})` : ''}: ${link.href}`;
}

/** SNS subjects are ASCII, one line, under 100 characters. */
function subjectOf(name: string, m: RunManifest): string {
  const ascii =
    name
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .replace(/\s+/g, ' ')
      .trim() || m.campaign_id;
  const tail = ` ${m.run_date}: +${m.new_count} new, ${m.closed_count} closed, gap ${m.gap_size}`;
  return `linkgap ${ascii.slice(0, 99 - 'linkgap '.length - tail.length)}${tail}`.slice(0, 99);
}
