/**
 * The report's outreach numbers (shared/report/review-model.ts) over the fixture lake's review events:
 * the review each source has now, the links won (once per source and month), the months the chart
 * spans, and a report as of an earlier run reading only the events before the next run started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { OBJECTS_READ_AT_ONCE } from '#lake/read-objects.ts';
import {
  currentReviews,
  monthsSpanning,
  readReviewEvents,
  reportReviewsOf,
  wonLinks,
} from '#shared/report/review-model.ts';
import { CAMPAIGN, FIXTURE_RUNS, REVIEW_EVENTS, writeFixtureLake } from '../athena/fixture-lake.ts';

const events = REVIEW_EVENTS.filter((event) => event.campaign_id === CAMPAIGN);
const root = mkdtempSync(join(tmpdir(), 'linkgap-review-model-'));
writeFixtureLake(root);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the report review model', () => {
  it('takes the applied event with the highest version as the review now (a skipped one changes nothing)', () => {
    const now = currentReviews(events);
    expect(Object.fromEntries([...now].map(([source, review]) => [source, review.state]))).toEqual({
      'a.example': 'contacted',
      'b.example': 'won',
      'c.example': 'won',
      'd.example': 'won',
      'f.example': 'rejected',
    });
    expect(now.get('a.example')?.category).toBe('resource_page');
  });

  it('counts a link won once per source and month, with the category it was won in', () => {
    const sorted = [...events].sort((a, b) => a.changed_at.localeCompare(b.changed_at));
    expect(wonLinks(sorted)).toEqual([
      { source: 'b.example', wonOn: '2025-02-01', category: 'resource_page', by: 'linkgap-run' },
      { source: 'c.example', wonOn: '2025-03-20', category: null, by: 'dana' },
      { source: 'd.example', wonOn: '2025-04-01', category: 'editorial', by: 'linkgap-run' },
    ]);
  });

  it.each([
    [[], []],
    [['2025-04'], ['2025-04']],
    [
      ['2026-02', '2025-11', '2025-12'],
      ['2025-11', '2025-12', '2026-01', '2026-02'],
    ],
  ])('months spanning %j', (months, expected) => {
    expect(monthsSpanning(months)).toEqual(expected);
  });

  it('reads the lake, and only the events before a given time for a report as of an earlier run', async () => {
    const lake = createFsObjectStore(root);
    expect(await readReviewEvents(lake, CAMPAIGN)).toHaveLength(events.length);
    const beforeR3 = await readReviewEvents(lake, CAMPAIGN, '2025-04-01T06:00:00.000Z');
    expect(beforeR3.map((event) => `${event.source} ${event.to_state}`)).toEqual([
      'b.example approved',
      'b.example won',
      'd.example contacted',
      'a.example approved',
      'c.example won',
    ]);
  });

  it('reads the event files several at a time, never more than OBJECTS_READ_AT_ONCE', async () => {
    const lake = createFsObjectStore(root);
    let reading = 0;
    let most = 0;
    const counted = {
      ...lake,
      list: (prefix: string) => lake.list(prefix),
      get: async (key: string) => {
        most = Math.max(most, ++reading);
        await new Promise((resolve) => setTimeout(resolve, 5));
        reading--;
        return lake.get(key);
      },
    };
    expect(await readReviewEvents(counted, CAMPAIGN)).toEqual(await readReviewEvents(lake, CAMPAIGN));
    expect(most).toBe(Math.min(events.length, OBJECTS_READ_AT_ONCE));
    expect(most).toBeGreaterThan(1);
  });

  it("counts every state over the latest run's prospects and every reviewed source", () => {
    const r3 = FIXTURE_RUNS.find((run) => run.runId === 'r3')?.prospects ?? [];
    const model = reportReviewsOf({
      prospects: r3,
      events: [...events].sort((a, b) => a.changed_at.localeCompare(b.changed_at)),
      runMonths: ['2025-01', '2025-02', '2025-04'],
      top: 10,
    });
    // a contacted; b, c, d won; e to review; f rejected.
    expect(model.stateCounts).toEqual({
      to_review: 1,
      approved: 0,
      contacted: 1,
      won: 3,
      rejected: 1,
      do_not_contact: 0,
    });
    expect(model.topUnreviewed.map((p) => p.source)).toEqual(['e.example']);
    expect(model.wonMonths).toEqual(['2025-01', '2025-02', '2025-03', '2025-04']);
    expect(model.multiCompetitor.map((p) => [p.source, p.matchedCount, p.state])).toEqual([
      ['e.example', 3, 'to_review'],
      ['b.example', 2, 'won'],
      ['f.example', 2, 'rejected'],
    ]);
    expect(model.multiCompetitorTotal).toBe(3);
  });
});
