import type { Campaign } from '#domain/campaign.ts';
import type { IntersectQuery } from '#moz/types.ts';

/**
 * The Link Intersect query of a campaign: competitors are Moz's positive targets, the campaign's own
 * site its negative targets. Tests and benchmarks build the simulator's ground-truth request from this
 * too (through the client's `intersectBody`), so they check exactly what the pipeline sends.
 */
export function intersectQueryOf(campaign: Campaign): IntersectQuery {
  return {
    positiveTargets: campaign.competitors,
    negativeTargets: campaign.site,
    minMatchingTargets: campaign.minMatchingTargets,
    sourceScope: campaign.sourceScope,
    sort: campaign.sort,
  };
}
