import { describe, expect, it } from 'vitest';
import { buildDigest, topNewProspects } from '#domain/digest.ts';
import type { ProspectRow, RunManifest } from '#domain/lake-contract.ts';

/** Controls (line feeds aside) and bidi controls: what a shown campaign name must not hold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const manifest = (overrides: Partial<RunManifest> = {}): RunManifest => ({
  run_id: 'r2',
  campaign_id: 'acme',
  run_date: '2026-06-01',
  config_hash: 'h',
  previous_run_id: 'r1',
  baseline: false,
  status: 'SUCCEEDED',
  truncated: false,
  pages: 3,
  requests: 3,
  retries: 0,
  rows_consumed: 4_210,
  rows_consumed_intersect: 4_000,
  rows_consumed_link_status: 210,
  rows_possibly_metered_on_failures: 0,
  max_rows_per_run: 5_000,
  gap_size: 412,
  new_count: 30,
  persisting_count: 380,
  reopened_count: 2,
  closed_count: 4,
  lost_count: 8,
  unverified_count: 1,
  previous_gap_size: 394,
  closure_rate: 4 / 394,
  started_at: '2026-06-01T06:00:00.000Z',
  finished_at: '2026-06-01T06:20:00.000Z',
  moz_base_url: 'https://lsapi.seomoz.com',
  software_version: 't',
  ...overrides,
});
const prospect = (source: string, score: number, status: ProspectRow['status'] = 'new'): ProspectRow => ({
  campaign_id: 'acme',
  run_id: 'r2',
  run_date: '2026-06-01',
  source,
  source_root_domain: source,
  title: '',
  domain_authority: 50,
  page_authority: null,
  spam_score: null,
  matched_targets: ['rival-a.example'],
  matched_count: 1,
  score,
  status,
  first_seen_date: '2026-06-01',
  runs_seen: 1,
  review_state: 'to_review',
  category: null,
});

describe('the digest', () => {
  it('says the gap and its change, the counts, the budget, the top new prospects and the report link', () => {
    const digest = buildDigest({
      manifest: manifest(),
      campaignName: 'Acme trail shoes',
      prospects: [
        prospect('old.example', 99, 'persisting'),
        prospect('b.example', 60),
        prospect('a.example', 80),
      ],
      reportLink: { href: 'https://example/report', note: 'valid 7 days' },
      firstRun: false,
    });
    expect(digest.text).toBe(
      [
        'linkgap: Acme trail shoes (acme), run of 2026-06-01',
        '',
        'Gap: 412 prospects (+18 since the previous run)',
        'New 30 | Closed (earned links) 4 | Lost 8 | Unverified 1 | Reopened 2',
        'Moz rows: 4,210 of the 5,000 budget (84%)',
        '',
        'Top 2 new prospects by score:',
        ' 1. a.example  score 80.0, DA 50, spam -, links to rival-a.example',
        ' 2. b.example  score 60.0, DA 50, spam -, links to rival-a.example',
        '',
        'Report (valid 7 days): https://example/report',
        '',
      ].join('\n'),
    );
    expect(digest.attributes).toMatchObject({
      campaign_id: 'acme',
      run_date: '2026-06-01',
      new_count: 30,
      closed_count: 4,
    });
  });

  it.each([
    [{ truncated: true }, false, /! Truncated: the Moz row budget ran out/],
    [
      { baseline: true, previous_run_id: null, previous_gap_size: null },
      true,
      /! First run: this is the baseline/,
    ],
    [
      { baseline: true, previous_run_id: null, previous_gap_size: null },
      false,
      /! New baseline: the campaign config changed/,
    ],
  ])('a clear line for %j (first run: %s)', (overrides, firstRun, line) => {
    expect(buildDigest({ manifest: manifest(overrides), prospects: [], firstRun }).text).toMatch(line);
  });

  it('shows a stored campaign name without control or bidi characters (names from before they were refused)', () => {
    const digest = buildDigest({
      manifest: manifest(),
      campaignName: 'Acme\u001b[2J \u0007Shoes\u202e\u2066 &co',
      prospects: [],
      firstRun: false,
    });
    expect(digest.text).toContain('linkgap: Acme Shoes &co (');
    expect(`${digest.text}${digest.subject}`).not.toMatch(UNPRINTABLE);
  });

  it('keeps the SNS subject ASCII, one line, under 100 characters', () => {
    const digest = buildDigest({
      manifest: manifest(),
      campaignName: `Café ☕ ${'x'.repeat(200)}`,
      prospects: [],
      firstRun: false,
    });
    expect(digest.subject.length).toBeLessThan(100);
    expect(digest.subject).toMatch(/^linkgap Cafe x+ 2026-06-01: \+30 new, 4 closed, gap 412$/);
  });

  it('lists at most ten, new and reopened only', () => {
    const many = Array.from({ length: 15 }, (_, i) =>
      prospect(`s${i}.example`, i, i % 3 === 0 ? 'reopened' : 'new'),
    );
    expect(topNewProspects([...many, prospect('p.example', 100, 'persisting')]).map((p) => p.source)).toEqual(
      Array.from({ length: 10 }, (_, i) => `s${14 - i}.example`),
    );
  });
});
