/**
 * The report's outreach sections (issue 12): the review queue (counts per state, the best prospects
 * nobody reviewed yet), the links won over time by category, and the pages that link to two or more
 * competitors. Pure: the numbers in (built by review-model.ts), HTML out.
 */
import { REVIEW_CATEGORIES, REVIEW_STATES, type ReviewCategory, type ReviewState } from '#domain/review.ts';
import { definitionList, integer, prospectTable, section, sourceCell, tiles } from './parts.ts';
import type { ReportProspect } from './render.ts';
import { barChart, escapeHtml } from './svg.ts';

export interface ReportReviewedProspect extends ReportProspect {
  matchedTargets: string[];
  /** The review as it stands (the last review event), not as the run read it. */
  state: ReviewState;
  category: ReviewCategory | null;
}

export interface ReportWonLink {
  source: string;
  /** The day the review moved to won (yyyy-MM-dd, UTC). */
  wonOn: string;
  category: ReviewCategory | null;
  /** Who moved it: a person, or linkgap-run when a run proved the gap closed. */
  by: string;
}

export interface ReportReviews {
  /** Sources per review state as it stands: every prospect of the latest run and every reviewed source. */
  stateCounts: Record<ReviewState, number>;
  /** The best-scored prospects of the latest run that nobody has reviewed. */
  topUnreviewed: ReportProspect[];
  /** Links won, oldest first: a review that moved to won, once per source and month. */
  won: ReportWonLink[];
  /** Months the won chart spans (yyyy-MM): the runs' months and any month with a win. */
  wonMonths: string[];
  /** Prospects of the latest run linking to two or more competitors: most competitors, then score. */
  multiCompetitor: ReportReviewedProspect[];
  /** How many prospects of the latest run link to two or more competitors (the table shows the top). */
  multiCompetitorTotal: number;
  /** Review events read; 0 when nobody has reviewed anything yet. */
  eventCount: number;
  /** Set for a report as of an earlier run: the reviews as they stood when the next run started. */
  reviewsUntil?: string;
}

const STATE_LABELS: Record<ReviewState, string> = {
  to_review: 'to review',
  approved: 'approved',
  contacted: 'contacted',
  won: 'won',
  rejected: 'rejected',
  do_not_contact: 'do not contact',
};

type WonCategory = ReviewCategory | 'uncategorised';
const CATEGORY_COLORS: Record<WonCategory, string> = {
  resource_page: '#16a34a',
  editorial: '#2563eb',
  directory: '#f59e0b',
  partnership: '#7c3aed',
  other: '#0891b2',
  uncategorised: '#9ca3af',
};
const categoryLabel = (category: WonCategory | null) => (category ?? 'uncategorised').replaceAll('_', ' ');

/** The three outreach sections, in the order a team works: triage, wins, the pages worth most. */
export function reviewSections(reviews: ReportReviews | undefined): string {
  if (!reviews) return '';
  return [queueSection(reviews), wonSection(reviews), multiCompetitorSection(reviews)].join('\n');
}

function queueSection(reviews: ReportReviews): string {
  const counts = tiles(
    REVIEW_STATES.map((state) => ({
      label: STATE_LABELS[state],
      value: integer(reviews.stateCounts[state]),
      key: state,
    })),
  );
  const since = reviews.reviewsUntil ? ` Reviews as they stood on ${reviews.reviewsUntil.slice(0, 10)}.` : '';
  const note =
    reviews.eventCount === 0
      ? 'Nobody has reviewed a prospect yet: every one is to review. linkgap review export writes the queue as a CSV to classify in a spreadsheet; linkgap review import reads it back.'
      : `Every prospect of the latest run and every reviewed source, by the state of its review now.${since} Rejected and do-not-contact sources are left out of every run.`;
  const table = prospectTable(
    'top-unreviewed',
    'Best open prospects nobody has reviewed',
    reviews.topUnreviewed,
    'Every open prospect of the latest run has been reviewed.',
  );
  return section(
    'Review queue',
    note,
    `${counts}<h3>Top unreviewed prospects by score</h3>${table}`,
    'review-queue',
  );
}

/** Wins per month and category, for the chart. */
function wonPerMonth(
  won: readonly ReportWonLink[],
  months: readonly string[],
): { category: WonCategory; values: number[] }[] {
  const present = new Set<WonCategory>(won.map((link) => link.category ?? 'uncategorised'));
  return [...REVIEW_CATEGORIES, 'uncategorised' as const]
    .filter((category) => present.has(category))
    .map((category) => ({
      category,
      values: months.map(
        (month) =>
          won.filter(
            (link) => (link.category ?? 'uncategorised') === category && link.wonOn.startsWith(month),
          ).length,
      ),
    }));
}

function wonSection(reviews: ReportReviews): string {
  if (reviews.won.length === 0)
    return `<section id="links-won"><h2>Links won</h2><p class="empty">No links won yet. A prospect becomes won when a run proves its gap closed (Moz link_status) after someone approved or contacted it, or when someone sets it won.</p></section>`;
  const perMonth = wonPerMonth(reviews.won, reviews.wonMonths);
  const most = Math.max(0, ...perMonth.flatMap(({ values }) => values));
  const chart = barChart({
    title: 'Links won per month, by category',
    labels: reviews.wonMonths,
    series: perMonth.map(({ category, values }) => ({
      name: categoryLabel(category),
      values,
      color: CATEGORY_COLORS[category],
    })),
    // Counts are whole links: below 5 the axis steps by one rather than by fractions.
    ...(most < 5 ? { yMax: 5 } : {}),
  });
  const rows = reviews.won
    .map(
      (link) =>
        `<tr><td><span class="source">${escapeHtml(link.source)}</span></td><td>${escapeHtml(link.wonOn)}</td>` +
        `<td>${escapeHtml(categoryLabel(link.category))}</td><td>${escapeHtml(link.by)}</td></tr>`,
    )
    .join('');
  const table = `<table id="won-links"><caption>Every link won</caption><thead><tr><th>source</th><th>won on</th><th>category</th><th>by</th></tr></thead><tbody>${rows}</tbody></table>`;
  const byCategory = definitionList(
    perMonth.map(({ category, values }) => [
      categoryLabel(category),
      integer(values.reduce((sum, value) => sum + value, 0)),
    ]),
  );
  return section(
    'Links won',
    `${integer(reviews.won.length)} link(s) won: reviews that moved to won, per month and category (the category when it was won). linkgap-run marks a review won when Moz link_status proves the gap closed after someone approved or contacted the source.`,
    `${chart}${byCategory}${table}`,
    'links-won',
  );
}

function multiCompetitorSection(reviews: ReportReviews): string {
  const note = `${integer(reviews.multiCompetitorTotal)} prospect(s) of the latest run link to two or more competitors: resource pages, roundups and comparisons, the likeliest to add you too.`;
  if (reviews.multiCompetitor.length === 0)
    return `<section id="multi-competitor-section"><h2>Pages linking to two or more competitors</h2><p class="empty" id="multi-competitor">No prospect of the latest run links to two or more competitors.</p></section>`;
  const rows = reviews.multiCompetitor
    .map(
      (p, index) =>
        `<tr><td class="num">${index + 1}</td>${sourceCell(p.source, p.title)}<td class="num">${p.matchedCount}</td>` +
        `<td>${escapeHtml(p.matchedTargets.join(', '))}</td><td class="num">${p.score.toFixed(1)}</td><td class="num">${p.domainAuthority}</td>` +
        `<td class="nowrap">${escapeHtml(STATE_LABELS[p.state])}</td><td class="nowrap">${escapeHtml(p.category === null ? '' : categoryLabel(p.category))}</td></tr>`,
    )
    .join('');
  const table =
    `<table id="multi-competitor"><caption>Prospects linking to two or more competitors</caption><thead><tr><th class="num">#</th><th>source</th>` +
    `<th class="num">competitors</th><th>which</th><th class="num">score</th><th class="num">DA</th><th>review</th><th>category</th></tr></thead><tbody>${rows}</tbody></table>`;
  return section('Pages linking to two or more competitors', note, table, 'multi-competitor-section');
}
