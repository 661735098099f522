import type { Campaign } from './campaign.ts';
import { hostOf, rootDomainOf } from './targets.ts';

/** One Link Intersect row, structurally what the Moz client returns. */
export interface MozRowLike {
  source: string;
  title: string;
  domainAuthority: number;
  spamScore: number | null;
  pageAuthority: number | null;
  matchingTargetIndexes: number[];
}

/** A source in this run's gap list: it links to enough competitors and not to the campaign's site. */
export interface CurrentProspect {
  source: string;
  sourceRootDomain: string;
  title: string;
  domainAuthority: number;
  pageAuthority: number | null;
  spamScore: number | null;
  /** Competitor targets (normalized, as in the campaign) this source links to, in campaign order. */
  matchedTargets: string[];
  matchedCount: number;
}

/**
 * Turns Moz rows into the run's gap list. Indexes point into `campaign.competitors` (the
 * positive_targets); out-of-range ones are dropped. A source listed twice keeps its first row, ignored
 * sources are dropped, and the input order (Moz's sort) is kept. A negative spam score (Moz's -1,
 * "not scored") becomes null.
 */
export function toCurrentProspects(
  rows: readonly MozRowLike[],
  campaign: Campaign,
  /** Sources people rejected or marked do_not_contact (exact sources), dropped like ignored ones. */
  excluded: ReadonlySet<string> = new Set(),
): CurrentProspect[] {
  const ignored = ignoreMatcher(campaign.ignore);
  const seen = new Set<string>();
  const prospects: CurrentProspect[] = [];
  for (const row of rows) {
    if (seen.has(row.source)) continue;
    seen.add(row.source);
    if (ignored(row.source) || excluded.has(row.source)) continue;
    const indexes = new Set(row.matchingTargetIndexes);
    const matchedTargets = campaign.competitors
      .filter((_, index) => indexes.has(index))
      .map((competitor) => competitor.target);
    prospects.push({
      source: row.source,
      sourceRootDomain: rootDomainOf(row.source),
      title: row.title,
      domainAuthority: row.domainAuthority,
      pageAuthority: row.pageAuthority,
      spamScore: row.spamScore !== null && row.spamScore >= 0 ? row.spamScore : null,
      matchedTargets,
      matchedCount: matchedTargets.length,
    });
  }
  return prospects;
}

/**
 * True when the source's host or root domain equals an ignore entry or is a subdomain of one:
 * `spam.example` ignores `spam.example`, `www.spam.example/page` and `a.b.spam.example`, not `notspam.example`.
 */
export function isIgnored(source: string, ignore: readonly string[]): boolean {
  return ignoreMatcher(ignore)(source);
}

/** {@link isIgnored} with the ignore list indexed once, for checking many sources. */
export function ignoreMatcher(ignore: readonly string[]): (source: string) => boolean {
  if (ignore.length === 0) return () => false;
  const entries = new Set(ignore.map((entry) => entry.trim().toLowerCase().replace(/\.$/, '')));
  const coveredByEntry = (host: string): boolean => {
    const labels = host.split('.');
    for (let start = 0; start < labels.length; start += 1) {
      if (entries.has(labels.slice(start).join('.'))) return true;
    }
    return false;
  };
  return (source) => coveredByEntry(hostOf(source)) || coveredByEntry(rootDomainOf(source));
}

/**
 * The prospect score, 0–100 rounded to one decimal. Higher is a better outreach target:
 *
 *   score = 0.6 × DA  +  30 × (matchedCount / competitorCount)  +  10 × (1 − spam / 100)
 *
 * - DA is Moz Domain Authority (1–100), clamped to 0–100: 60% of the score.
 * - The share of the campaign's competitors the source links to, clamped to 0–1: 30%. A source
 *   that links to every competitor is likely to link to you too.
 * - Spam Score (0–100, clamped) counts against: 10%. A source Moz has not scored (null) counts as a
 *   neutral 50, i.e. 5 points.
 */
export function prospectScore(
  prospect: Pick<CurrentProspect, 'domainAuthority' | 'matchedCount' | 'spamScore'>,
  competitorCount: number,
): number {
  const authority = clamp(prospect.domainAuthority, 0, 100);
  const share = competitorCount > 0 ? clamp(prospect.matchedCount / competitorCount, 0, 1) : 0;
  const spam = clamp(prospect.spamScore ?? 50, 0, 100);
  const score = 0.6 * authority + 30 * share + 10 * (1 - spam / 100);
  return Math.round(score * 10) / 10;
}

function clamp(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return min;
  return Math.min(max, Math.max(min, value));
}
