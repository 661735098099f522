/**
 * Moz row metering (DESIGN.md section 3): every Link Intersect row costs 5 rows, every Link Status
 * source 2. `maxRowsPerRun` caps the weighted total; these helpers say what the rest of it buys.
 */

export const INTERSECT_ROW_WEIGHT = 5;
export const LINK_STATUS_ROW_WEIGHT = 2;
/** Moz's maximum `limit` for one Link Intersect page. */
export const MAX_INTERSECT_PAGE = 50;
/** Sources per Link Status request. */
export const MAX_LINK_STATUS_BATCH = 50;

/**
 * How many rows the next Link Intersect page may ask for (its `limit`) without going over the budget:
 * never more than `pageSize` or Moz's 50, and 0 when not even one row is affordable (the run is then truncated).
 */
export function intersectPageLimit(remainingRows: number, pageSize = MAX_INTERSECT_PAGE): number {
  const affordable = wholeUnits(remainingRows, INTERSECT_ROW_WEIGHT);
  return Math.min(affordable, wholeUnits(pageSize, 1), MAX_INTERSECT_PAGE);
}

/** How many sources Link Status can still check in total (across batches) with the remaining rows. */
export function affordableLinkStatusSources(remainingRows: number): number {
  return wholeUnits(remainingRows, LINK_STATUS_ROW_WEIGHT);
}

/** The weighted rows a run needs for `intersectRows` gap rows and `verifiedSources` Link Status checks. */
export function minimumRows({
  intersectRows,
  verifiedSources,
}: {
  intersectRows: number;
  verifiedSources: number;
}): number {
  return INTERSECT_ROW_WEIGHT * intersectRows + LINK_STATUS_ROW_WEIGHT * verifiedSources;
}

// NaN, negative and fractional budgets buy whole units only, never fewer than zero.
function wholeUnits(rows: number, weight: number): number {
  if (!(rows > 0)) return 0;
  return Number.isFinite(rows) ? Math.floor(rows / weight) : Number.MAX_SAFE_INTEGER;
}
