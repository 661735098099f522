import { describe, expect, it } from 'vitest';
import {
  createGroundTruth,
  createLinkGraph,
  type GroundTruth,
  monthFromIndex,
  monthIndex,
} from '../../simulator/graph.ts';

const SITE = 'mysite.com';
const COMPETITORS = ['rival-one.com', 'rivaltwo.io', 'www.thirdcompetitor.co.uk'];

function gapQuery(overrides: Record<string, unknown> = {}) {
  return {
    positive_targets: COMPETITORS.map((target) => ({ target, scope: 'root_domain' })),
    negative_targets: [{ target: SITE, scope: 'root_domain' }],
    source_scope: 'root_domain',
    ...overrides,
  };
}

function truthFor(seed: string, month = '2026-01', size = 20_000): GroundTruth {
  return createGroundTruth(createLinkGraph(seed, size), () => month);
}

const truth = truthFor('linkgap');

describe('simulated link graph', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const again = truthFor('linkgap');
    const other = truthFor('another-seed');
    const rows = truth.intersect(gapQuery());
    expect(again.intersect(gapQuery())).toEqual(rows);
    expect(other.intersect(gapQuery()).map((r) => r.page)).not.toEqual(rows.map((r) => r.page));
  });

  it('yields a realistic gap list size for 3 competitors', () => {
    const min1 = truth.intersect(gapQuery()).length;
    const min2 = truth.intersect(gapQuery({ min_matching_targets: 2 })).length;
    expect(min1).toBeGreaterThanOrEqual(300);
    expect(min1).toBeLessThanOrEqual(1500);
    expect(min2).toBeGreaterThan(5);
    expect(min2).toBeLessThan(min1 / 4);
  });

  it('churns month to month, and some departed sources start linking to the site', () => {
    let closures = 0;
    let previous = new Set(truth.intersect(gapQuery(), '2026-01').map((r) => r.page));
    for (let index = monthIndex('2026-02'); index <= monthIndex('2026-04'); index++) {
      const month = monthFromIndex(index);
      const current = new Set(truth.intersect(gapQuery(), month).map((r) => r.page));
      const added = [...current].filter((page) => !previous.has(page));
      const departed = [...previous].filter((page) => !current.has(page));
      expect(added.length).toBeGreaterThan(0);
      expect(departed.length).toBeGreaterThan(0);
      const churn = (added.length + departed.length) / previous.size;
      expect(churn).toBeGreaterThan(0.01);
      expect(churn).toBeLessThan(0.2);
      closures += departed.filter((source) => truth.linksTo(source, SITE, { month })).length;
      previous = current;
    }
    expect(closures).toBeGreaterThan(0);
  });

  it('draws DA from a power law and leaves some spam scores unscored (-1)', () => {
    const rows = truth.intersect({ positive_targets: [{ target: 'example.com', scope: 'root_domain' }] });
    const all = truth.intersect({
      positive_targets: [{ target: 'example.com', scope: 'root_domain' }],
      source_scope: 'root_domain',
      sort: 'source_domain_authority',
    });
    expect(rows.length).toBeGreaterThan(100);
    const das = all.map((r) => r.domain_authority);
    expect(Math.min(...das)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...das)).toBeLessThanOrEqual(100);
    // Linkers skew to high DA, but low-DA linkers still outnumber the top tier.
    expect(das.filter((da) => da <= 30).length).toBeGreaterThan(das.filter((da) => da > 90).length);
    expect(all.some((r) => r.spam_score === -1)).toBe(true);
    expect(all.every((r) => r.spam_score >= -1 && r.spam_score <= 100)).toBe(true);
  });

  it('excludes sources that link to any negative target', () => {
    const rows = truth.intersect(gapQuery());
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows.slice(0, 200)) expect(truth.linksTo(row.page, SITE)).toBe(false);
    const withoutNegatives = truth.intersect(gapQuery({ negative_targets: [] }));
    expect(withoutNegatives.length).toBeGreaterThan(rows.length);
  });

  it.each([1, 2, 3])('honours min_matching_targets = %i with ascending, zero-based indexes', (min) => {
    const rows = truth.intersect(gapQuery({ min_matching_targets: min, source_scope: 'page' }));
    for (const row of rows) {
      expect(row.matching_target_indexes.length).toBeGreaterThanOrEqual(min);
      expect([...row.matching_target_indexes].sort((a, b) => a - b)).toEqual(row.matching_target_indexes);
      expect(new Set(row.matching_target_indexes).size).toBe(row.matching_target_indexes.length);
      expect(row.matching_target_indexes.every((i) => i >= 0 && i < COMPETITORS.length)).toBe(true);
    }
  });

  it('agrees with linksTo at page and root_domain source scope', () => {
    for (const sourceScope of ['page', 'root_domain'] as const) {
      const rows = truth.intersect(gapQuery({ source_scope: sourceScope })).slice(0, 50);
      for (const row of rows) {
        COMPETITORS.forEach((competitor, index) => {
          expect(truth.linksTo(row.page, competitor, { sourceScope })).toBe(
            row.matching_target_indexes.includes(index),
          );
        });
      }
    }
  });

  it('sorts descending by the sort key', () => {
    const bySpam = truth.intersect(gapQuery({ sort: 'source_spam_score' }));
    const spam = bySpam.map((r) => r.spam_score);
    expect(spam).toEqual([...spam].sort((a, b) => b - a));
    const byCount = truth.intersect(gapQuery());
    const counts = byCount.map((r) => r.matching_target_indexes.length);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('gives narrower target scopes fewer linkers, consistently nested', () => {
    const count = (target: string, scope: string) =>
      truth.intersect({ positive_targets: [{ target, scope }], source_scope: 'root_domain' });
    const root = count('bignews.com', 'root_domain');
    const sub = count('blog.bignews.com', 'subdomain');
    const page = count('bignews.com/articles/one', 'page');
    expect(sub.length).toBeLessThan(root.length);
    expect(page.length).toBeLessThan(sub.length);
    const rootPages = new Set(root.map((r) => r.page));
    expect(sub.every((r) => rootPages.has(r.page))).toBe(true);
  });

  it('treats scheme, case, trailing slash and www. alike for root_domain targets', () => {
    const a = truth.intersect({
      positive_targets: [{ target: 'https://WWW.Example.com/', scope: 'root_domain' }],
    });
    const b = truth.intersect({ positive_targets: [{ target: 'example.com', scope: 'root_domain' }] });
    expect(a).toEqual(b);
  });

  it('computes a full intersect over 200,000 sources quickly', () => {
    const big = truthFor('linkgap', '2026-01', 200_000);
    const started = performance.now();
    const rows = big.intersect(gapQuery({ source_scope: 'page' }));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(rows.length).toBeGreaterThan(3_000);
  });
});
