/** Deterministic synthetic gap lists: month 2 keeps 90% of month 1's sources and adds 10% new ones. */

import type { IntersectRow } from '#moz/types.ts';
import type { RunDeps } from '#pipeline/run-campaign.ts';

export function syntheticRows(count: number, month: 1 | 2): IntersectRow[] {
  const departed = Math.floor(count / 10);
  // Month 1: sources 0..count-1. Month 2: drops the first 10%, adds count..count+10%-1.
  const first = month === 1 ? 0 : departed;
  const rows: IntersectRow[] = [];
  for (let i = first; i < first + count; i++) {
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
export function instantMoz(rowsOf: () => IntersectRow[]): RunDeps['moz'] {
  const stats = {
    requests: 0,
    retries: 0,
    rowsConsumed: 0,
    rowsPossiblyMeteredOnFailures: 0,
    rateLimited: 0,
    droppedRows: 0,
  };
  const oneRequest = (rowsConsumed: number) => ({
    rowsConsumed,
    requests: 1,
    retries: 0,
    rowsPossiblyMeteredOnFailures: 0,
  });
  return {
    async intersectPage(_query, opts) {
      const rows = rowsOf();
      const offset = opts.nextToken ? Number(opts.nextToken) : 0;
      const page = rows.slice(offset, offset + opts.limit);
      const next = offset + page.length;
      stats.requests += 1;
      stats.rowsConsumed += page.length * 5;
      return {
        rows: page,
        nextToken: next < rows.length ? String(next) : null,
        cost: oneRequest(page.length * 5),
        droppedRows: 0,
      };
    },
    async linkStatus(request) {
      stats.requests += 1;
      stats.rowsConsumed += request.sources.length * 2;
      const exists = request.sources.map((_, index) => index % 3 === 0);
      return { exists, cost: oneRequest(exists.length * 2) };
    },
    stats: () => ({ ...stats }),
  };
}
