import { type Campaign, CampaignValidationError, parseCampaign } from '#domain/campaign.ts';

/**
 * Validates a campaign as its store handed it back. A store that cannot read an item as JSON (a
 * hand-edited file with a syntax error) hands back the text; the error then says so and names the
 * campaign, instead of a bare "expected object, received string".
 */
export function parseStoredCampaign(campaignId: string, raw: unknown): Campaign {
  if (typeof raw !== 'string') return parseCampaign(raw);
  let problem = 'the stored config is text, not a JSON object';
  try {
    JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : String(error);
    problem = `the stored config is not valid JSON (${reason})`;
  }
  throw new CampaignValidationError(campaignId, [{ field: '(campaign)', message: problem }]);
}
