/**
 * What a run does with the outreach reviews (issue 12): rejected and do_not_contact sources are left
 * out and never cost link_status rows; a contacted or approved prospect proven closed becomes won,
 * with one event, even across a crash; a review a person changes during the run is never lost.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReviewEdit } from '#domain/review.ts';
import { applyReviewChanges } from '#pipeline/review-edits.ts';
import {
  CAMPAIGN_ID,
  comparableLake,
  crashAt,
  type Harness,
  readLake,
  useHarnesses,
} from '#test/support/reliability-harness.ts';

const startHarness = useHarnesses();

async function harness(): Promise<Harness> {
  const started = await startHarness();
  // With this site, the simulator's graph closes three of April's gaps in May (and loses four).
  await started.putCampaign({ site: [{ target: 'acme-trail.example', scope: 'root_domain' }] });
  return started;
}

/** What May does to April's prospects with nobody reviewing: which close, which leave. */
let reference: { closed: string[]; departed: string[] };
beforeAll(async () => {
  const plain = await harness();
  await plain.run('2026-04-01');
  await plain.run('2026-05-01');
  const changes = Object.values((await readLake(plain.lake)).changes)
    .flat()
    .filter((row) => row.run_date === '2026-05-01');
  reference = {
    closed: changes.filter((row) => row.change === 'closed').map((row) => row.source),
    departed: changes.filter((row) => row.change === 'lost').map((row) => row.source),
  };
});

const asPerson = (h: Harness, batchId: string = randomUUID()) => ({
  by: 'dana@acme.example',
  at: h.clock().toISOString(),
  origin: 'cli' as const,
  batchId,
});

/** A person's edits; the batch id names their events (given, two harnesses write the same ones). */
async function review(h: Harness, edits: Record<string, ReviewEdit>, batchId?: string) {
  return applyReviewChanges(
    { reviews: h.reviews, lake: h.lake },
    CAMPAIGN_ID,
    Object.entries(edits).map(([source, edit]) => ({ source, edit })),
    asPerson(h, batchId),
  );
}

describe('a run honours the reviews', () => {
  it('leaves rejected and do_not_contact sources out, at no link_status cost, and promotes contacted + closed to won', async () => {
    expect(reference.closed.length).toBeGreaterThanOrEqual(2);
    expect(reference.departed.length).toBeGreaterThanOrEqual(2);
    const h = await harness();
    await h.run('2026-04-01');
    const [rejected, doNotContact] = reference.departed;
    const [contacted, approved] = reference.closed;
    if (!rejected || !doNotContact || !contacted || !approved) throw new Error('fixture too small');
    await review(h, {
      [rejected]: { state: 'rejected' },
      [doNotContact]: { state: 'do_not_contact' },
      [contacted]: { state: 'contacted', category: 'editorial' },
      [approved]: { state: 'approved', category: 'resource_page' },
    });

    expect((await h.run('2026-05-01')).outcome).toBe('committed');

    const checked = h.calls
      .filter((call) => call.endpoint === 'link_status' && call.runDate === '2026-05-01')
      .flatMap((call) => call.sources);
    expect(checked).toContain(contacted); // the others still verified
    expect(checked).not.toContain(rejected);
    expect(checked).not.toContain(doNotContact);
    const lake = await readLake(h.lake);
    const february = (rows: Record<string, { run_date: string; source: string }[]>) =>
      Object.values(rows)
        .flat()
        .filter((row) => row.run_date === '2026-05-01');
    const sources = [...february(lake.prospects), ...february(lake.changes)].map((row) => row.source);
    expect(sources).not.toContain(rejected);
    expect(sources).not.toContain(doNotContact);
    const closedRow = february(lake.changes).find((row) => row.source === contacted);
    expect(closedRow).toMatchObject({ change: 'closed', review_state: 'contacted' });

    expect((await h.reviews.get(CAMPAIGN_ID, contacted))?.state).toBe('won');
    expect((await h.reviews.get(CAMPAIGN_ID, approved))?.state).toBe('won');
    expect((await h.reviews.get(CAMPAIGN_ID, contacted))?.category).toBe('editorial');
    const runEvents = lake.reviewEvents.filter((event) => event.origin === 'run');
    expect(
      runEvents.map((event) => [event.source, event.from_state, event.to_state, event.outcome]).sort(),
    ).toEqual(
      [
        [approved, 'approved', 'won', 'applied'],
        [contacted, 'contacted', 'won', 'applied'],
      ].sort(),
    );
    expect(lake.reviewEvents.filter((event) => event.origin === 'cli')).toHaveLength(4);
  });

  it('a crash after the promotion writes each won event once, and the rerun ends like a clean run', async () => {
    const h = await harness();
    await h.run('2026-04-01');
    const [contacted] = reference.closed;
    if (!contacted) throw new Error('fixture too small');
    await review(h, { [contacted]: { state: 'contacted' } }, 'april-review');
    const crash = crashAt('before-commit');
    await expect(h.run('2026-05-01', { afterStep: crash })).rejects.toThrow();
    expect(crash.fired).toBe(true);
    h.expireLeases();
    expect((await h.run('2026-05-01')).outcome).toBe('committed');
    const events = (await readLake(h.lake)).reviewEvents.filter((event) => event.origin === 'run');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: contacted, to_state: 'won', outcome: 'applied' });
    expect((await h.reviews.get(CAMPAIGN_ID, contacted))?.version).toBe(2);
    // The same months and the same review, never crashed: the same lake and the same review.
    const clean = await harness();
    await clean.run('2026-04-01');
    await review(clean, { [contacted]: { state: 'contacted' } }, 'april-review');
    expect((await clean.run('2026-05-01')).outcome).toBe('committed');
    expect(await comparableLake(h.lake)).toEqual(await comparableLake(clean.lake));
    expect(await h.reviews.get(CAMPAIGN_ID, contacted)).toEqual(
      await clean.reviews.get(CAMPAIGN_ID, contacted),
    );
  });

  it('a review changed during the run is never lost: the promotion is skipped and the event log says so', async () => {
    const h = await harness();
    await h.run('2026-04-01');
    const [contacted] = reference.closed;
    if (!contacted) throw new Error('fixture too small');
    await review(h, { [contacted]: { state: 'contacted' } });
    const outcome = await h.run('2026-05-01', {
      afterStep: async (step) => {
        // A person writes a note while the run is between its diff and its promotion.
        if (step === 'diffed') await review(h, { [contacted]: { note: 'they asked for a quote first' } });
      },
    });
    expect(outcome.outcome).toBe('committed');
    const stored = await h.reviews.get(CAMPAIGN_ID, contacted);
    expect(stored).toMatchObject({ state: 'contacted', note: 'they asked for a quote first' });
    const events = (await readLake(h.lake)).reviewEvents.filter((event) => event.origin === 'run');
    expect(events).toEqual([
      expect.objectContaining({
        source: contacted,
        outcome: 'skipped',
        from_state: 'contacted',
        to_state: 'contacted',
      }),
    ]);

    // The next run decides again on the person's review: the gap is still closed, so it is won now.
    await h.run('2026-06-01');
    expect((await h.reviews.get(CAMPAIGN_ID, contacted))?.state).toBe('won');
    expect((await h.reviews.get(CAMPAIGN_ID, contacted))?.note).toBe('they asked for a quote first');
  });

  it('a rejection made while a run is in progress is honoured by the next run, not half-way', async () => {
    const h = await harness();
    await h.run('2026-04-01');
    const [rejected] = reference.departed;
    if (!rejected) throw new Error('fixture too small');
    const crash = crashAt('verified');
    await expect(h.run('2026-05-01', { afterStep: crash })).rejects.toThrow();
    await review(h, { [rejected]: { state: 'rejected' } });
    h.expireLeases();
    expect((await h.run('2026-05-01')).outcome).toBe('committed');
    const lostInFebruary = Object.values((await readLake(h.lake)).changes)
      .flat()
      .filter((row) => row.run_date === '2026-05-01' && row.source === rejected);
    // The resumed attempt decides with the reviews the run started with (its files stay identical).
    expect(lostInFebruary.map((row) => row.review_state)).toEqual(['to_review']);
  });
});
