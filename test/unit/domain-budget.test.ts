import { describe, expect, it } from 'vitest';
import {
  affordableLinkStatusSources,
  INTERSECT_ROW_WEIGHT,
  intersectPageLimit,
  LINK_STATUS_ROW_WEIGHT,
  MAX_INTERSECT_PAGE,
  MAX_LINK_STATUS_BATCH,
  minimumRows,
} from '#domain/budget.ts';

describe('budget', () => {
  it('uses the Moz weights and page sizes', () => {
    expect([INTERSECT_ROW_WEIGHT, LINK_STATUS_ROW_WEIGHT, MAX_INTERSECT_PAGE, MAX_LINK_STATUS_BATCH]).toEqual(
      [5, 2, 50, 50],
    );
  });

  it.each<[number, number | undefined, number]>([
    [5000, undefined, 50],
    [250, undefined, 50],
    [249, undefined, 49],
    [12, undefined, 2],
    [5, undefined, 1],
    [4, undefined, 0],
    [0, undefined, 0],
    [-10, undefined, 0],
    [Number.NaN, undefined, 0],
    [5000, 10, 10],
    [5000, 80, 50],
    [30, 10, 6],
    [5000, 0, 0],
  ])('intersectPageLimit(%d, %s) = %i', (remaining, pageSize, expected) => {
    expect(intersectPageLimit(remaining, pageSize)).toBe(expected);
  });

  it.each([
    [100, 50],
    [101, 50],
    [1, 0],
    [0, 0],
    [-3, 0],
  ])('affordableLinkStatusSources(%d) = %i', (remaining, expected) => {
    expect(affordableLinkStatusSources(remaining)).toBe(expected);
  });

  it.each([
    [{ intersectRows: 0, verifiedSources: 0 }, 0],
    [{ intersectRows: 50, verifiedSources: 0 }, 250],
    [{ intersectRows: 100, verifiedSources: 20 }, 540],
  ])('minimumRows(%j) = %i', (usage, expected) => {
    expect(minimumRows(usage)).toBe(expected);
  });
});
