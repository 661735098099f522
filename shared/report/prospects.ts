/**
 * A run's prospect rows as the report's tables show them, and the order they are ranked in. Its own
 * module because both the report model and the outreach sections' model (review-model.ts) use them,
 * and model.ts imports review-model.ts.
 */
import { daysBetween } from '#domain/dates.ts';
import type { ProspectRow } from '#lake/schema.ts';
import type { ReportProspect } from './render.ts';

/** Best first: score, then Domain Authority, then source. */
export const byScoreDescending = (a: ProspectRow, b: ProspectRow) =>
  b.score - a.score || b.domain_authority - a.domain_authority || a.source.localeCompare(b.source);

export const toReportProspect = (row: ProspectRow): ReportProspect => ({
  source: row.source,
  title: row.title,
  domainAuthority: row.domain_authority,
  matchedCount: row.matched_count,
  score: row.score,
  firstSeenDate: row.first_seen_date,
  runsSeen: row.runs_seen,
  daysOpen: daysBetween(row.first_seen_date, row.run_date),
});
