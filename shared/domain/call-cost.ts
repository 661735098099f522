/**
 * What one Moz call cost, as the client counted it (retries included). The Moz client returns one
 * with every call; checkpoints and manifests add them up. Pure arithmetic, no I/O.
 */
export interface CallCost {
  /** Weighted rows the server metered for the answer we used (5 per intersect row, 2 per link_status source). */
  rowsConsumed: number;
  /** HTTP attempts sent for the call. */
  requests: number;
  /** Attempts after the first. */
  retries: number;
  /** Upper bound on rows Moz may have metered for attempts whose answer we never used. */
  rowsPossiblyMeteredOnFailures: number;
}

export const NO_COST: CallCost = Object.freeze({
  rowsConsumed: 0,
  requests: 0,
  retries: 0,
  rowsPossiblyMeteredOnFailures: 0,
});

export function addCost(total: CallCost, cost: CallCost): CallCost {
  return {
    rowsConsumed: total.rowsConsumed + cost.rowsConsumed,
    requests: total.requests + cost.requests,
    retries: total.retries + cost.retries,
    rowsPossiblyMeteredOnFailures: total.rowsPossiblyMeteredOnFailures + cost.rowsPossiblyMeteredOnFailures,
  };
}

export const sumCosts = (costs: readonly CallCost[]): CallCost => costs.reduce(addCost, NO_COST);
