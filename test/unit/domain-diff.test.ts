import { describe, expect, it } from 'vitest';
import { comparableBaseline, departedSources } from '#domain/baseline.ts';
import type { Campaign } from '#domain/campaign.ts';
import { type DiffInput, type DiffResult, diffRun } from '#domain/diff.ts';
import { type Ledger, type LedgerEntry, LedgerSchema, type LedgerStatus } from '#domain/ledger.ts';
import type { CurrentProspect } from '#domain/prospects.ts';
import { aCampaign, aLedger, aLedgerEntry, aProspect } from '#test/support/builders.ts';

const HASH = 'hash-1';

/** diffRun over the previous ledger, through the one comparable-baseline rule, as the pipeline calls it. */
function diff(overrides: Partial<Omit<DiffInput, 'baseline'>> & { previous?: Ledger } = {}): DiffResult {
  const { previous, ...rest } = overrides;
  const input = {
    campaign: aCampaign(),
    runId: 'run-2025-02-01',
    runDate: '2025-02-01',
    configHash: HASH,
    current: [],
    truncated: false,
    verification: new Map(),
    ...rest,
  };
  const baseline = comparableBaseline(previous, {
    configHash: input.configHash,
    ignore: input.campaign.ignore,
  });
  return diffRun({ ...input, baseline });
}

const previousOf = (...entries: LedgerEntry[]): Ledger => aLedger(entries, { configHash: HASH });
const changeOf = (result: DiffResult, source: string) =>
  result.changes.filter((change) => change.source === source);
const prospectOf = (result: DiffResult, source: string) =>
  result.prospects.find((row) => row.source === source);
const entryOf = (result: DiffResult, source: string) =>
  result.ledger.entries.find((entry) => entry.source === source);

describe('diffRun: sources in the current gap list', () => {
  it.each<[string, LedgerStatus | undefined, 'new' | 'persisting' | 'reopened', string | undefined]>([
    ['new: never seen', undefined, 'new', 'new'],
    ['persisting: open before', 'open', 'persisting', undefined],
    ['reopened: closed before', 'closed', 'reopened', 'reopened'],
    ['reopened: lost before', 'lost', 'reopened', 'reopened'],
    ['reopened: unverified before', 'unverified', 'reopened', 'reopened'],
  ])('%s', (_label, before, status, change) => {
    const remembered = aLedgerEntry({
      source: 'a.example',
      firstSeenDate: '2024-11-01',
      runsSeen: 2,
      domainAuthority: 30,
    });
    const others = aLedgerEntry({ source: 'other.example' });
    const previous = previousOf(...(before ? [{ ...remembered, status: before }] : []), others);
    const result = diff({
      previous,
      current: [
        aProspect({ source: 'a.example', domainAuthority: 35 }),
        aProspect({ source: 'other.example' }),
      ],
    });

    expect(prospectOf(result, 'a.example')?.status).toBe(status);
    expect(changeOf(result, 'a.example').map((row) => row.change)).toEqual(change ? [change] : []);
    expect(prospectOf(result, 'a.example')).toMatchObject(
      before
        ? { first_seen_date: '2024-11-01', runs_seen: 3 }
        : { first_seen_date: '2025-02-01', runs_seen: 1 },
    );
    expect(entryOf(result, 'a.example')).toMatchObject({
      status: 'open',
      lastSeenDate: '2025-02-01',
      closedDate: null,
    });
    if (change) {
      expect(changeOf(result, 'a.example')[0]).toMatchObject({
        previous_domain_authority: before ? 30 : null,
        current_domain_authority: 35,
        current_matched_count: 1,
        days_in_gap: null,
      });
    }
  });
});

describe('diffRun: departed sources (open before, absent now)', () => {
  it.each<[string, boolean | undefined, boolean, 'closed' | 'lost' | 'unverified']>([
    ['closed with link_status evidence', true, false, 'closed'],
    ['closed with evidence even in a truncated run', true, true, 'closed'],
    ['lost when link_status says it does not link', false, false, 'lost'],
    ['unverified, never lost, in a truncated run', false, true, 'unverified'],
    ['unverified without evidence', undefined, false, 'unverified'],
    ['unverified without evidence in a truncated run', undefined, true, 'unverified'],
  ])('%s', (_label, evidence, truncated, outcome) => {
    const previous = previousOf(
      aLedgerEntry({
        source: 'gone.example',
        firstSeenDate: '2025-01-01',
        domainAuthority: 44,
        matchedCount: 2,
      }),
    );
    const verification = new Map(evidence === undefined ? [] : [['gone.example', evidence] as const]);
    const result = diff({ previous, current: [], verification, truncated });

    expect(result.prospects).toEqual([]);
    expect(result.changes).toEqual([
      {
        campaign_id: 'acme-trail-shoes',
        run_id: 'run-2025-02-01',
        run_date: '2025-02-01',
        source: 'gone.example',
        change: outcome,
        previous_domain_authority: 44,
        current_domain_authority: null,
        previous_matched_count: 2,
        current_matched_count: null,
        days_in_gap: outcome === 'closed' ? 31 : null,
        review_state: 'to_review',
      },
    ]);
    expect(entryOf(result, 'gone.example')).toMatchObject({
      status: outcome,
      closedDate: outcome === 'closed' ? '2025-02-01' : null,
      lastSeenDate: '2025-01-01',
    });
    expect(result.counts[outcome]).toBe(1);
  });

  it.each<[LedgerStatus]>([['closed'], ['lost'], ['unverified']])(
    'leaves a source that departed earlier (%s) as it was, with no new change',
    (status) => {
      const old = aLedgerEntry({
        source: 'old.example',
        status,
        closedDate: status === 'closed' ? '2025-01-01' : null,
      });
      const result = diff({ previous: previousOf(old), verification: new Map([['old.example', true]]) });
      expect(result.changes).toEqual([]);
      expect(result.ledger.entries).toEqual([old]);
    },
  );

  it('departedSources lists open sources absent now, sorted', () => {
    const previous = previousOf(
      aLedgerEntry({ source: 'c.example' }),
      aLedgerEntry({ source: 'a.example' }),
      aLedgerEntry({ source: 'b.example' }),
      aLedgerEntry({ source: 'closed.example', status: 'closed' }),
    );
    const baseline = (configHash: string, ignore: string[] = []) =>
      comparableBaseline(previous, { configHash, ignore });
    expect(departedSources(baseline(HASH), [aProspect({ source: 'b.example' })])).toEqual([
      'a.example',
      'c.example',
    ]);
    expect(departedSources(undefined, [])).toEqual([]);
    expect(departedSources(baseline('other'), [])).toEqual([]);
    expect(departedSources(baseline(HASH, ['a.example']), [])).toEqual(['b.example', 'c.example']);
  });
});

describe('diffRun: baselines', () => {
  const previous = previousOf(
    aLedgerEntry({ source: 'a.example', runsSeen: 4, firstSeenDate: '2024-10-01' }),
    aLedgerEntry({ source: 'gone.example' }),
    aLedgerEntry({ source: 'closed.example', status: 'closed' }),
  );
  const current = [aProspect({ source: 'a.example' }), aProspect({ source: 'b.example' })];

  it.each<[string, Ledger | undefined]>([
    ['no previous run', undefined],
    ['a previous run of another configuration', { ...previous, configHash: 'hash-0' }],
  ])('starts over after %s', (_label, before) => {
    const result = diff({ previous: before, current, verification: new Map([['gone.example', true]]) });

    expect(result.baseline).toBe(true);
    expect(result.changes.map((row) => [row.source, row.change])).toEqual([
      ['a.example', 'new'],
      ['b.example', 'new'],
    ]);
    expect(result.prospects.every((row) => row.status === 'new' && row.runs_seen === 1)).toBe(true);
    expect(result.prospects.every((row) => row.first_seen_date === '2025-02-01')).toBe(true);
    expect(result.ledger.entries.map((entry) => entry.source)).toEqual(['a.example', 'b.example']);
    expect(result.ledger.configHash).toBe(HASH);
    expect(result.counts).toEqual({
      gapSize: 2,
      new: 2,
      persisting: 0,
      reopened: 0,
      closed: 0,
      lost: 0,
      unverified: 0,
      previousGapSize: null,
    });
    expect(result.closureRate).toBeNull();
  });
});

describe('diffRun: the ignore list', () => {
  it('drops ignored sources from prospects, changes and the ledger, even when the list grew', () => {
    const campaign = aCampaign({ ignore: ['spam.example'] });
    const previous = previousOf(
      aLedgerEntry({ source: 'spam.example' }),
      aLedgerEntry({ source: 'deep.spam.example/page' }),
      aLedgerEntry({ source: 'keep.example' }),
    );
    const result = diff({
      campaign,
      previous,
      current: [aProspect({ source: 'www.spam.example' }), aProspect({ source: 'keep.example' })],
      verification: new Map([
        ['spam.example', true],
        ['deep.spam.example/page', false],
      ]),
    });
    const everywhere = [
      ...result.prospects.map((row) => row.source),
      ...result.changes.map((row) => row.source),
      ...result.ledger.entries.map((entry) => entry.source),
    ];
    expect(everywhere.filter((source) => source.includes('spam'))).toEqual([]);
    expect(result.counts).toMatchObject({
      gapSize: 1,
      persisting: 1,
      closed: 0,
      lost: 0,
      previousGapSize: 1,
    });
    expect(result.closureRate).toBe(0);
  });
});

describe('diffRun: counts, closure rate and order', () => {
  it('closure rate is closed over the previous open gap', () => {
    const previous = previousOf(
      aLedgerEntry({ source: 'a.example' }),
      aLedgerEntry({ source: 'b.example' }),
      aLedgerEntry({ source: 'c.example' }),
      aLedgerEntry({ source: 'd.example' }),
      aLedgerEntry({ source: 'was-closed.example', status: 'closed' }),
    );
    const result = diff({
      previous,
      current: [aProspect({ source: 'a.example' }), aProspect({ source: 'e.example' })],
      verification: new Map([
        ['b.example', true],
        ['c.example', false],
      ]),
    });
    expect(result.counts).toEqual({
      gapSize: 2,
      new: 1,
      persisting: 1,
      reopened: 0,
      closed: 1,
      lost: 1,
      unverified: 1,
      previousGapSize: 4,
    });
    expect(result.closureRate).toBe(0.25);
  });

  it('has no closure rate after an empty previous gap', () => {
    const result = diff({ previous: previousOf(aLedgerEntry({ source: 'a.example', status: 'lost' })) });
    expect(result.counts.previousGapSize).toBe(0);
    expect(result.closureRate).toBeNull();
  });

  it('sorts prospects by score (high first) then source, changes by change then source', () => {
    const previous = previousOf(
      aLedgerEntry({ source: 'z-gone.example' }),
      aLedgerEntry({ source: 'a-gone.example' }),
    );
    const result = diff({
      previous,
      current: [
        aProspect({ source: 'low.example', domainAuthority: 10 }),
        aProspect({ source: 'b-high.example', domainAuthority: 90 }),
        aProspect({ source: 'a-high.example', domainAuthority: 90 }),
      ],
      verification: new Map([['z-gone.example', true]]),
    });
    expect(result.prospects.map((row) => row.source)).toEqual([
      'a-high.example',
      'b-high.example',
      'low.example',
    ]);
    expect(result.changes.map((row) => `${row.change}:${row.source}`)).toEqual([
      'closed:z-gone.example',
      'new:a-high.example',
      'new:b-high.example',
      'new:low.example',
      'unverified:a-gone.example',
    ]);
  });

  it('fills every prospect column', () => {
    const campaign = aCampaign();
    const prospect: CurrentProspect = aProspect({
      source: 'www.blog.example/post',
      title: 'A post',
      domainAuthority: 50,
      pageAuthority: 33,
      spamScore: null,
      matchedTargets: ['rival-a.example', 'rival-b.example'],
    });
    const [row] = diff({ campaign, current: [prospect] }).prospects;
    expect(row).toEqual({
      campaign_id: 'acme-trail-shoes',
      run_id: 'run-2025-02-01',
      run_date: '2025-02-01',
      source: 'www.blog.example/post',
      source_root_domain: 'blog.example',
      title: 'A post',
      domain_authority: 50,
      page_authority: 33,
      spam_score: null,
      matched_targets: ['rival-a.example', 'rival-b.example'],
      matched_count: 2,
      score: 0.6 * 50 + 30 + 5,
      status: 'new',
      first_seen_date: '2025-02-01',
      runs_seen: 1,
      review_state: 'to_review',
      category: null,
    });
  });
});

describe('diffRun: memory across runs', () => {
  it('tracks runs_seen and first_seen_date over 3 runs, through a closure and a reopening', () => {
    const campaign: Campaign = aCampaign();
    const step = (
      runDate: string,
      previous: Ledger | undefined,
      sources: string[],
      verification = new Map(),
    ) =>
      diff({
        campaign,
        runId: `run-${runDate}`,
        runDate,
        previous,
        current: sources.map((source) => aProspect({ source })),
        verification,
      });

    const january = step('2025-01-01', undefined, ['a.example', 'b.example']);
    const february = step(
      '2025-02-01',
      january.ledger,
      ['a.example', 'c.example'],
      new Map([['b.example', true]]),
    );
    const march = step('2025-03-01', february.ledger, ['a.example', 'b.example']);

    expect(january.baseline).toBe(true);
    expect(changeOf(february, 'b.example')[0]).toMatchObject({ change: 'closed', days_in_gap: 31 });
    expect(entryOf(february, 'b.example')).toMatchObject({
      status: 'closed',
      closedDate: '2025-02-01',
      runsSeen: 1,
    });
    expect(prospectOf(february, 'a.example')).toMatchObject({ status: 'persisting', runs_seen: 2 });
    expect(prospectOf(march, 'a.example')).toMatchObject({
      status: 'persisting',
      runs_seen: 3,
      first_seen_date: '2025-01-01',
    });
    expect(prospectOf(march, 'b.example')).toMatchObject({
      status: 'reopened',
      runs_seen: 2,
      first_seen_date: '2025-01-01',
    });
    expect(changeOf(march, 'c.example')[0]?.change).toBe('unverified');
    expect(march.ledger).toMatchObject({ runId: 'run-2025-03-01', runDate: '2025-03-01', configHash: HASH });
    expect(LedgerSchema.parse(march.ledger)).toEqual(march.ledger);
  });

  it.each([
    ['2025-01-01', '2025-01-01', 0],
    ['2025-01-01', '2025-03-01', 59],
    ['2024-02-01', '2024-03-01', 29],
    ['2023-12-15', '2024-01-01', 17],
  ])('days_in_gap from first seen %s to a closure on %s is %i', (firstSeenDate, runDate, days) => {
    const result = diff({
      runDate,
      previous: previousOf(aLedgerEntry({ source: 'a.example', firstSeenDate, lastSeenDate: firstSeenDate })),
      verification: new Map([['a.example', true]]),
    });
    expect(result.changes[0]).toMatchObject({ change: 'closed', days_in_gap: days });
  });
});
