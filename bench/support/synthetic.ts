/** Deterministic synthetic gap lists: month 2 keeps 90% of month 1's sources and adds 10% new ones. */

import type { IntersectRow } from '#moz/types.ts';
import type { RunDeps } from '#pipeline/run-campaign.ts';

export function syntheticRows(count: number, month: 1 | 2): IntersectRow[] {
  return syntheticPage(count, month, 0, count);
}

/** Rows offset..offset+limit-1 of syntheticRows(count, month), made on demand (a bench that streams holds no list). */
export function syntheticPage(count: number, month: 1 | 2, offset: number, limit: number): IntersectRow[] {
  const departed = Math.floor(count / 10);
  // Month 1: sources 0..count-1. Month 2: drops the first 10%, adds count..count+10%-1.
  const first = (month === 1 ? 0 : departed) + offset;
  const rows: IntersectRow[] = [];
  for (let i = first; i < first + Math.max(0, Math.min(limit, count - offset)); i++) {
    rows.push({
      source: `site-${i.toString(36)}.example`,
      title: `Site ${i}`,
      domainAuthority: 1 + (i % 97),
      spamScore: i % 7 === 0 ? null : i % 30,
      pageAuthority: null,
      matchingTargetIndexes: i % 3 === 0 ? [0, 1] : [i % 2],
      sourcePages: [],
    });
  }
  return rows;
}

/**
 * A Moz client that serves precomputed rows instantly: the pipeline's own cost, without Moz latency.
 * Link Status says every third departed source now links to the site.
 */
export function instantMoz(
  rowsOf: () => IntersectRow[] | { total: number; page: (offset: number, limit: number) => IntersectRow[] },
): RunDeps['moz'] {
  const cost = (rows: number, weight: number) => ({
    rowsConsumed: rows * weight,
    requests: 1,
    retries: 0,
    rowsPossiblyMeteredOnFailures: 0,
  });
  return {
    async intersectPage(_query, opts) {
      const source = rowsOf();
      const offset = opts.nextToken ? Number(opts.nextToken) : 0;
      const page = Array.isArray(source)
        ? source.slice(offset, offset + opts.limit)
        : source.page(offset, opts.limit);
      const total = Array.isArray(source) ? source.length : source.total;
      const next = offset + page.length;
      return {
        rows: page,
        nextToken: next < total ? String(next) : null,
        cost: cost(page.length, 5),
        droppedRows: 0,
      };
    },
    async linkStatus(request) {
      const exists = request.sources.map((_, index) => index % 3 === 0);
      return { exists, cost: cost(exists.length, 2) };
    },
  };
}
