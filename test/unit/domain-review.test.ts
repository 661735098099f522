import { describe, expect, it } from 'vitest';
import { comparableBaseline, departedSources } from '#domain/baseline.ts';
import { diffRun } from '#domain/diff.ts';
import {
  applyReviewEdit,
  type ChangeContext,
  InvalidReviewError,
  MAX_NOTE_LENGTH,
  parseReviewCategory,
  parseReviewState,
  ReviewRuleError,
  runReviews,
  wonPromotions,
} from '#domain/review.ts';
import { aCampaign, aLedger, aLedgerEntry, aProspect } from '#test/support/builders.ts';

const person: ChangeContext = { by: 'dana', at: '2026-03-02T10:00:00.000Z', origin: 'import', eventId: 'e1' };
const run: ChangeContext = {
  by: 'linkgap-run',
  at: '2026-04-01T06:00:00.000Z',
  origin: 'run',
  eventId: 'r1',
  runId: 'run-1',
};

describe('review values from spreadsheets', () => {
  it.each([
    ['Contacted', 'contacted'],
    [' DO NOT CONTACT ', 'do_not_contact'],
    ['do-not-contact', 'do_not_contact'],
    ['to review', 'to_review'],
    ['maybe', undefined],
  ])('state %j → %j', (text, expected) => expect(parseReviewState(text)).toBe(expected));
  it.each([
    ['Resource Page', 'resource_page'],
    ['EDITORIAL', 'editorial'],
    ['', null],
    ['blogroll', undefined],
  ])('category %j → %j', (text, expected) => expect(parseReviewCategory(text)).toBe(expected));
});

describe('applyReviewEdit', () => {
  it('stores a note with its line ends as an import reads them, and a re-import of an old CR note changes nothing', () => {
    const typed = applyReviewEdit('c', 'a.example', undefined, { note: '\rCR start\r\nmid\rdle' }, person);
    expect(typed?.note).toBe('\nCR start\nmid\ndle');
    // A note stored with CRs before this rule: its export comes back with LFs, which is no change.
    const stored = { ...(typed as NonNullable<typeof typed>), note: 'old\r\nnote' };
    expect(applyReviewEdit('c', 'a.example', stored, { note: 'old\nnote' }, person)).toBeUndefined();
  });

  it('a first change starts at version 1 from to_review, with its event', () => {
    const review = applyReviewEdit(
      'c',
      'a.example',
      undefined,
      { state: 'contacted', category: 'editorial' },
      person,
    );
    expect(review).toMatchObject({ state: 'contacted', category: 'editorial', version: 1, owner: 'dana' });
    expect(review?.lastEvent).toMatchObject({
      from_state: 'to_review',
      to_state: 'contacted',
      from_category: null,
      to_category: 'editorial',
      origin: 'import',
      outcome: 'applied',
      event_date: '2026-03-02',
      version: 1,
    });
  });

  it('an edit that changes nothing is no change (no write, no event)', () => {
    const review = applyReviewEdit('c', 'a.example', undefined, { state: 'approved', note: 'x' }, person);
    expect(
      applyReviewEdit('c', 'a.example', review, { state: 'approved', note: 'x' }, person),
    ).toBeUndefined();
    expect(applyReviewEdit('c', 'b.example', undefined, { state: 'to_review' }, person)).toBeUndefined();
  });

  it('refuses a change the stores would refuse to read back, naming the field (nothing to write)', () => {
    expect(() =>
      applyReviewEdit('c', 'a.example', undefined, { note: 'n'.repeat(MAX_NOTE_LENGTH + 1) }, person),
    ).toThrow(new InvalidReviewError('a.example: note: Too big: expected string to have <=2000 characters'));
    expect(
      applyReviewEdit('c', 'a.example', undefined, { note: 'n'.repeat(MAX_NOTE_LENGTH) }, person),
    ).toMatchObject({ version: 1 });
  });

  it('a run may only promote approved or contacted to won, and keeps the owner', () => {
    const contacted = applyReviewEdit('c', 'a.example', undefined, { state: 'contacted' }, person);
    expect(applyReviewEdit('c', 'a.example', contacted, { state: 'won' }, run)).toMatchObject({
      state: 'won',
      owner: 'dana',
      version: 2,
      lastEvent: { origin: 'run', run_id: 'run-1', from_state: 'contacted' },
    });
    const rejected = applyReviewEdit('c', 'a.example', undefined, { state: 'rejected' }, person);
    expect(() => applyReviewEdit('c', 'a.example', rejected, { state: 'won' }, run)).toThrow(ReviewRuleError);
  });
});

describe('the run and the reviews', () => {
  const review = (
    source: string,
    state: 'rejected' | 'do_not_contact' | 'contacted' | 'approved' | 'won',
  ) => {
    const made = applyReviewEdit('c', source, undefined, { state }, person);
    if (!made) throw new Error('no change');
    return made;
  };
  const reviews = runReviews([
    review('rejected.example', 'rejected'),
    review('dnc.example', 'do_not_contact'),
    review('contacted.example', 'contacted'),
    review('approved.example', 'approved'),
    review('won.example', 'won'),
  ]);

  it('excludes rejected and do_not_contact, exactly by source', () => {
    expect([...reviews.excluded].sort()).toEqual(['dnc.example', 'rejected.example']);
  });

  it('an excluded source leaves the baseline, so it is never a departure to verify', () => {
    const ledger = aLedger(
      ['dnc.example', 'other.example', 'rejected.example'].map((source) => aLedgerEntry({ source })),
    );
    const baseline = comparableBaseline(ledger, {
      configHash: ledger.configHash,
      ignore: [],
      excluded: reviews.excluded,
    });
    expect(departedSources(baseline, [])).toEqual(['other.example']);
  });

  it('promotes closed + contacted/approved to won, nothing else', () => {
    const ledger = aLedger([
      aLedgerEntry({ source: 'approved.example', status: 'closed' }),
      aLedgerEntry({ source: 'contacted.example', status: 'closed' }),
      aLedgerEntry({ source: 'won.example', status: 'closed' }),
      aLedgerEntry({ source: 'rejected.example', status: 'closed' }),
      aLedgerEntry({ source: 'open.example', status: 'open' }),
    ]);
    expect(wonPromotions(reviews, ledger).map((promoted) => promoted.source)).toEqual([
      'approved.example',
      'contacted.example',
    ]);
  });

  it("gives each prospect row its review's state and category, and an unreviewed one to_review", () => {
    const categorised = applyReviewEdit(
      'c',
      'approved.example',
      undefined,
      { category: 'editorial' },
      person,
    );
    if (!categorised) throw new Error('no change');
    const { prospects } = diffRun({
      campaign: aCampaign(),
      runId: 'run-2',
      runDate: '2026-03-01',
      configHash: 'h',
      baseline: undefined,
      current: ['approved.example', 'contacted.example', 'fresh.example'].map((source) =>
        aProspect({ source }),
      ),
      truncated: false,
      verification: new Map(),
      reviews: runReviews([categorised, review('contacted.example', 'contacted')]),
    });
    expect(
      Object.fromEntries(prospects.map((row) => [row.source, [row.review_state, row.category]])),
    ).toEqual({
      'approved.example': ['to_review', 'editorial'],
      'contacted.example': ['contacted', null],
      'fresh.example': ['to_review', null],
    });
  });
});
