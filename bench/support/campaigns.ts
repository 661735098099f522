import { type Campaign, parseCampaign } from '#domain/campaign.ts';
import type { SourceScope } from '#domain/targets.ts';
import { intersectBody } from '#moz/client.ts';
import { intersectQueryOf } from '#pipeline/intersect-query.ts';

export interface CampaignShape {
  id: string;
  competitors: number;
  sourceScope: SourceScope;
  minMatchingTargets?: number;
  maxRowsPerRun?: number;
}

/** A campaign of `competitors` rivals and one site target; a budget large enough never to truncate. */
export function benchCampaign(shape: CampaignShape): Campaign {
  return parseCampaign({
    id: shape.id,
    site: [{ target: 'acme.example', scope: 'root_domain' }],
    competitors: Array.from({ length: shape.competitors }, (_, index) => ({
      target: `rival-${index}.example`,
      scope: 'root_domain',
    })),
    minMatchingTargets: shape.minMatchingTargets ?? 1,
    sourceScope: shape.sourceScope,
    sort: 'source_domain_authority',
    maxRowsPerRun: shape.maxRowsPerRun ?? 100_000_000,
    verifyDepartures: true,
    schedule: { every: 'month', day: 1 },
  });
}

/** The Link Intersect request body the pipeline sends for a campaign (for the simulator's ground truth). */
export function intersectBodyOf(campaign: Campaign): Record<string, unknown> {
  return { ...intersectBody(intersectQueryOf(campaign), 50, null) };
}
