import { type Campaign, CampaignValidationError, parseCampaign } from '#domain/campaign.ts';

/**
 * Validates a campaign as its store handed it back. A store that cannot read an item as JSON (a
 * hand-edited file with a syntax error) hands back the text; the error then says so and names the
 * campaign, instead of a bare "expected object, received string". A config whose `id` is not the id
 * it is stored under (a file renamed, or its id edited) is refused too: its runs would be looked up
 * under one id and recorded under the other, so it fails alone, naming both ids.
 */
export function parseStoredCampaign(campaignId: string, raw: unknown): Campaign {
  if (typeof raw !== 'string') {
    const campaign = parseCampaign(raw);
    if (campaign.id !== campaignId) {
      throw new CampaignValidationError(campaignId, [
        {
          field: 'id',
          message: `is "${campaign.id}" but the campaign is stored as "${campaignId}" (the file name or table key); make them match`,
        },
      ]);
    }
    return campaign;
  }
  let problem = 'the stored config is text, not a JSON object';
  try {
    JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : String(error);
    problem = `the stored config is not valid JSON (${reason})`;
  }
  throw new CampaignValidationError(campaignId, [{ field: '(campaign)', message: problem }]);
}
