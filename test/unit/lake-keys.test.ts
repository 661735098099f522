import { describe, expect, it } from 'vitest';
import { LakeKeyError } from '#lake/errors.ts';
import {
  changesKey,
  ledgerKey,
  manifestKey,
  pageCheckpointKey,
  parseLakeKey,
  prospectsKey,
  stagingPrefix,
  tablePrefix,
  verifyCheckpointKey,
} from '#lake/keys.ts';

const campaign = 'acme-trail-shoes';
const runDate = '2024-03-01';
const runId = '01HQZ8J5K2M3N4P5Q6R7S8T9V0';

describe('lake keys', () => {
  it.each([
    [
      prospectsKey(campaign, runDate, runId),
      `prospects/campaign_id=${campaign}/run_date=${runDate}/${runId}.parquet`,
    ],
    [
      changesKey(campaign, runDate, runId),
      `changes/campaign_id=${campaign}/run_date=${runDate}/${runId}.parquet`,
    ],
    [manifestKey(campaign, runDate, runId), `runs/campaign_id=${campaign}/run_date=${runDate}/${runId}.json`],
    [stagingPrefix(campaign, runDate, runId), `staging/${campaign}/${runDate}/${runId}/`],
    [
      pageCheckpointKey(campaign, runDate, runId, 1),
      `staging/${campaign}/${runDate}/${runId}/pages/00001.json`,
    ],
    [
      pageCheckpointKey(campaign, runDate, runId, 12345),
      `staging/${campaign}/${runDate}/${runId}/pages/12345.json`,
    ],
    [
      verifyCheckpointKey(campaign, runDate, runId, 7),
      `staging/${campaign}/${runDate}/${runId}/verify/00007.json`,
    ],
    [ledgerKey(campaign, runId), `state/${campaign}/${runId}.json.gz`],
    [tablePrefix('prospects'), 'prospects/'],
    [tablePrefix('changes', campaign), `changes/campaign_id=${campaign}/`],
    [tablePrefix('runs', campaign, runDate), `runs/campaign_id=${campaign}/run_date=${runDate}/`],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('checkpoint keys sort in page order as plain strings', () => {
    const keys = [10, 2, 1, 100].map((page) => pageCheckpointKey(campaign, runDate, runId, page));
    expect([...keys].sort()).toEqual(
      [1, 2, 10, 100].map((page) => pageCheckpointKey(campaign, runDate, runId, page)),
    );
  });

  it('a table key is under its table prefix', () => {
    expect(
      prospectsKey(campaign, runDate, runId).startsWith(tablePrefix('prospects', campaign, runDate)),
    ).toBe(true);
  });

  it.each([
    ['a campaign id with a slash', () => prospectsKey('a/b', runDate, runId)],
    ['a campaign id with =', () => prospectsKey('a=b', runDate, runId)],
    ['an empty run id', () => manifestKey(campaign, runDate, '')],
    ['a run id with a colon', () => manifestKey(campaign, runDate, '2024-03-01T00:00:00Z')],
    ['a dot-dot run id', () => ledgerKey(campaign, '..')],
    ['a run date that is not a date', () => changesKey(campaign, '2024-02-30', runId)],
    ['a run date in another format', () => changesKey(campaign, '2024/03/01', runId)],
    ['a negative page', () => pageCheckpointKey(campaign, runDate, runId, -1)],
    ['a fractional batch', () => verifyCheckpointKey(campaign, runDate, runId, 1.5)],
    ['a page beyond five digits', () => pageCheckpointKey(campaign, runDate, runId, 100_000)],
    ['a run date without a campaign', () => tablePrefix('runs', undefined, runDate)],
  ])('rejects %s', (_what, build) => {
    expect(build).toThrow(LakeKeyError);
  });
});

describe('parseLakeKey', () => {
  it.each([
    ['prospects', prospectsKey(campaign, runDate, runId)],
    ['changes', changesKey(campaign, runDate, runId)],
    ['runs', manifestKey(campaign, runDate, runId)],
  ] as const)('reads back a %s key', (table, key) => {
    expect(parseLakeKey(key)).toEqual({ table, campaignId: campaign, runDate, runId });
  });

  it.each([
    stagingPrefix(campaign, runDate, runId),
    pageCheckpointKey(campaign, runDate, runId, 1),
    ledgerKey(campaign, runId),
    `runs/campaign_id=${campaign}/run_date=${runDate}/${runId}.parquet`,
    `prospects/campaign_id=${campaign}/run_date=${runDate}/${runId}.json`,
    `prospects/campaign_id=${campaign}/run_date=2024-13-01/${runId}.parquet`,
    `prospects/campaign_id=${campaign}/${runId}.parquet`,
    `lake/prospects/campaign_id=${campaign}/run_date=${runDate}/${runId}.parquet`,
    'prospects/',
  ])('ignores %s', (key) => {
    expect(parseLakeKey(key)).toBeUndefined();
  });
});
