import { normalizeTarget } from '#domain/targets.ts';
import { clip, hasControlOrSpace, withoutControlCharacters } from './text.ts';
import type { IntersectRow, RawIntersectRow, SourcePage } from './types.ts';

/*
 * Row admission at the client boundary: what the lake contract (shared/lake/schema.ts) accepts.
 *
 * A row the Moz schema allows but the contract does not (a DA of 150 or 37.5, a PA of -3, an index
 * outside positive_targets, a source with control characters or that is not a URL) is DROPPED and counted,
 * never retried:
 * Moz answers the same page the same way every time, so refusing the page would fail the run date on
 * every rerun. A body that breaks the schema itself (a DA of "high", no `results`) is still a retried
 * MozResponseFormatError: that is a different API, not one bad row, and must fail loudly.
 *
 * Oversized but valid data is bounded instead of dropped: a title is cut to MAX_TITLE_LENGTH, and of
 * `matching_source_pages` only the MAX_SOURCE_PAGES_PER_ROW best pages are kept (the best page
 * authority is taken over all of them first).
 */

/** Moz Domain Authority and Page Authority: integers 1–100 (moz-api.md section 3). */
const AUTHORITY = { min: 1, max: 100 };
/** Spam Score: an integer 0–100, or -1 when Moz has none (becomes null). */
const SPAM = { min: 0, max: 100, none: -1 };
export const MAX_SOURCE_LENGTH = 2048;
export const MAX_TITLE_LENGTH = 1000;
export const MAX_SOURCE_PAGES_PER_ROW = 10;

export type RowAdmission = { ok: true; row: IntersectRow } | { ok: false; reason: string };

/** Checks one schema-valid row against the lake contract; `positiveTargets` is the query's count. */
export function admitRow(raw: RawIntersectRow, positiveTargets: number): RowAdmission {
  const source = (raw.page ?? raw.root_domain ?? raw.url ?? '').trim();
  const reason =
    sourceProblem(source) ??
    rangeProblem('domain_authority', raw.domain_authority, AUTHORITY) ??
    spamProblem(raw.spam_score) ??
    indexProblem(raw.matching_target_indexes, positiveTargets) ??
    pagesProblem(raw);
  if (reason !== undefined) return { ok: false, reason };
  const pages = rawPagesOf(raw);
  const spam = raw.spam_score ?? SPAM.none;
  return {
    ok: true,
    row: {
      source,
      title: clip(withoutControlCharacters(raw.title ?? '').trim(), MAX_TITLE_LENGTH),
      domainAuthority: raw.domain_authority,
      spamScore: spam === SPAM.none ? null : spam,
      pageAuthority: pages.reduce<number | null>((best, p) => Math.max(best ?? 0, p.page_authority), null),
      matchingTargetIndexes: [...raw.matching_target_indexes],
      sourcePages: bestPages(pages),
    },
  };
}

function sourceProblem(source: string): string | undefined {
  if (source.length > MAX_SOURCE_LENGTH) return `source is longer than ${MAX_SOURCE_LENGTH} characters`;
  if (hasControlOrSpace(source)) return 'source holds white space or control characters';
  if (!isSchemelessUrl(source)) return 'source is not a URL (a host name and a path)';
  return undefined;
}

/**
 * Characters a URL path and query may hold as they are (RFC 3986 unreserved, sub-delims, `: @ / ?`, a
 * %XX escape) plus non-ASCII letters (an IRI). Not `" < > \ ^ \` { | }`, which a URL escapes: a source
 * holding them is markup or a formula, not a page.
 */
const URL_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2}|\P{ASCII})*$/u;

/**
 * A Moz source is a URL without its scheme: a host name the campaign's own targets would accept (a
 * domain with a dot and a top-level domain, no IP address, port or credentials) and a path. Anything
 * else (`=HYPERLINK(...)`, `javascript:...`) would reach the lake's `url` column as `https://` + it.
 */
function isSchemelessUrl(source: string): boolean {
  const pathStart = source.search(/[/?]/);
  if (pathStart !== -1 && !URL_PATH.test(source.slice(pathStart))) return false;
  try {
    normalizeTarget(source, 'page');
    return true;
  } catch {
    return false;
  }
}

function rangeProblem(field: string, value: number, range: { min: number; max: number }): string | undefined {
  if (Number.isInteger(value) && value >= range.min && value <= range.max) return undefined;
  return `${field} ${value} is not an integer from ${range.min} to ${range.max}`;
}

function spamProblem(spam: number | null | undefined): string | undefined {
  if (spam === undefined || spam === null || spam === SPAM.none) return undefined;
  return rangeProblem('spam_score', spam, SPAM);
}

function indexProblem(indexes: readonly number[], positiveTargets: number): string | undefined {
  if (indexes.length === 0) return 'matching_target_indexes is empty';
  const outside = indexes.find(
    (index) => !(Number.isInteger(index) && index >= 0 && index < positiveTargets),
  );
  if (outside === undefined) return undefined;
  return `matching_target_indexes holds ${outside}, not an index into the ${positiveTargets} positive targets`;
}

function pagesProblem(raw: RawIntersectRow): string | undefined {
  for (const page of rawPagesOf(raw)) {
    const problem = rangeProblem('matching_source_pages page_authority', page.page_authority, AUTHORITY);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

type RawPage = { page?: string | undefined; url?: string | undefined; page_authority: number };

function rawPagesOf(raw: RawIntersectRow): RawPage[] {
  return raw.matching_source_pages ?? raw.matching_source_urls ?? [];
}

/** The best pages by authority (first listed wins a tie); pages with unusable URLs are left out. */
function bestPages(pages: readonly RawPage[]): SourcePage[] {
  const usable: SourcePage[] = [];
  for (const p of pages) {
    const page = (p.page ?? p.url ?? '').trim();
    if (page === '' || sourceProblem(page) !== undefined) continue;
    usable.push({ page, pageAuthority: p.page_authority });
  }
  // A stable sort keeps Moz's order among equals.
  return usable.sort((a, b) => b.pageAuthority - a.pageAuthority).slice(0, MAX_SOURCE_PAGES_PER_ROW);
}
