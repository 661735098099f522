/**
 * The review store contract, held for the file store and for DynamoDB (moto): writes are conditional
 * on the version read, so two people editing one review never silently overwrite each other; putAll
 * is all-or-nothing; reviews sit beside run records without disturbing them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDynamoReviewStore } from '#adapters/aws/review-store.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { createFileRunStore } from '#adapters/local/file-stores.ts';
import { createFileReviewStore } from '#adapters/local/review-store.ts';
import { applyReviewEdit, type Review, type ReviewEdit } from '#domain/review.ts';
import type { ReviewStore, RunStore } from '#shared/ports.ts';
import { tempDir } from '#test/support/cli.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';

const moto = useMoto();

function edited(
  campaignId: string,
  source: string,
  current: Review | undefined,
  edit: ReviewEdit,
  by = 'dana',
) {
  const review = applyReviewEdit(campaignId, source, current, edit, {
    by,
    at: '2026-03-02T10:00:00.000Z',
    origin: 'cli',
    eventId: randomUUID(),
  });
  if (!review) throw new Error('the edit changes nothing');
  return review;
}

function storeContract(make: () => { reviews: ReviewStore; runs: RunStore }) {
  it('a first write creates; a second write conditional on the version read replaces', async () => {
    const { reviews } = make();
    const campaign = `c-${randomUUID().slice(0, 8)}`;
    const first = edited(campaign, 'blog.example/links', undefined, { state: 'approved' });
    expect(await reviews.put({ review: first, expectedVersion: 0 })).toBe('written');
    expect(await reviews.get(campaign, 'blog.example/links')).toEqual(first);
    const second = edited(campaign, 'blog.example/links', first, { state: 'contacted', note: 'mailed' });
    expect(await reviews.put({ review: second, expectedVersion: 1 })).toBe('written');
    expect(await reviews.get(campaign, 'blog.example/links')).toMatchObject({
      state: 'contacted',
      version: 2,
    });
  });

  it('two people editing the same review: exactly one write wins, the other is refused', async () => {
    const { reviews } = make();
    const campaign = `c-${randomUUID().slice(0, 8)}`;
    const base = edited(campaign, 'a.example', undefined, { state: 'approved' });
    await reviews.put({ review: base, expectedVersion: 0 });
    const writers = ['ann', 'bob', 'cat', 'dan'].map((by) =>
      edited(campaign, 'a.example', base, { note: `from ${by}` }, by),
    );
    const outcomes = await Promise.all(writers.map((review) => reviews.put({ review, expectedVersion: 1 })));
    expect(outcomes.filter((outcome) => outcome === 'written')).toHaveLength(1);
    const winner = writers[outcomes.indexOf('written')];
    expect(await reviews.get(campaign, 'a.example')).toEqual(winner);
    // A first write for a source someone else created meanwhile is refused too.
    expect(await reviews.put({ review: base, expectedVersion: 0 })).toBe('changed');
  });

  it('putAll writes every review or none, and names the ones that changed', async () => {
    const { reviews } = make();
    const campaign = `c-${randomUUID().slice(0, 8)}`;
    const a = edited(campaign, 'a.example', undefined, { state: 'approved' });
    await reviews.put({ review: a, expectedVersion: 0 });
    const batch = [
      { review: edited(campaign, 'a.example', a, { state: 'rejected' }), expectedVersion: 0 }, // stale
      { review: edited(campaign, 'b.example', undefined, { state: 'approved' }), expectedVersion: 0 },
    ];
    expect(await reviews.putAll(batch)).toEqual({ outcome: 'changed', sources: ['a.example'] });
    expect((await reviews.list(campaign)).map((review) => [review.source, review.state])).toEqual([
      ['a.example', 'approved'],
    ]);
    const fixed = [{ ...batch[0], expectedVersion: 1 } as (typeof batch)[0], batch[1] as (typeof batch)[0]];
    expect(await reviews.putAll(fixed)).toEqual({ outcome: 'written' });
    expect((await reviews.list(campaign)).map((review) => [review.source, review.state])).toEqual([
      ['a.example', 'rejected'],
      ['b.example', 'approved'],
    ]);
  });

  it('lists the reviews of one campaign only, sorted by source, and leaves run records alone', async () => {
    const { reviews, runs } = make();
    const campaign = `c-${randomUUID().slice(0, 8)}`;
    for (const source of ['z.example', 'a.example/page', 'm.example'])
      await reviews.put({
        review: edited(campaign, source, undefined, { state: 'approved' }),
        expectedVersion: 0,
      });
    await reviews.put({
      review: edited('other', 'a.example', undefined, { state: 'won' }),
      expectedVersion: 0,
    });
    expect((await reviews.list(campaign)).map((review) => review.source)).toEqual([
      'a.example/page',
      'm.example',
      'z.example',
    ]);
    expect(await runs.list(campaign)).toEqual([]);
    expect(await runs.latest(campaign)).toBeUndefined();
  });
}

describe('file review store', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('review-store');
  });
  afterEach(() => dir.remove());
  storeContract(() => ({ reviews: createFileReviewStore(dir.path), runs: createFileRunStore(dir.path) }));
});

describeAws('DynamoDB review store (moto)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack(moto);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  storeContract(() => ({
    reviews: createDynamoReviewStore({ doc: stack.clients.doc, tableName: stack.names.tableName }),
    runs: createDynamoRunStore({ doc: stack.clients.doc, tableName: stack.names.tableName }),
  }));
});
