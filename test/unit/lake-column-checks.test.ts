/**
 * firstMisfit (the column path's per-value check, one loop per type) must find exactly the first value
 * fitsColumnType refuses, nulls allowed only in nullable columns, for every column type.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstMisfit, fitsColumnType } from '#lake/columns.ts';
import type { ColumnType } from '#lake/schema.ts';

const TYPES: ColumnType[] = [
  'string',
  'int',
  'bigint',
  'double',
  'boolean',
  'date',
  'timestamp',
  'array<string>',
];
const shared = ['x.example'];
const anyValue = fc.oneof(
  fc.constantFrom(null, undefined, '', 'a', '2026-02-01', '2026-02-01T10:00:00.000Z', true, shared, [], [1]),
  fc.constantFrom(0, -0, 1.5, 2 ** 31, -(2 ** 31), Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.array(fc.oneof(fc.string(), fc.constant(null)), { maxLength: 3 }),
);

describe('firstMisfit', () => {
  it('finds the first value the column type refuses, as fitsColumnType judges each value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.boolean(),
        fc.array(anyValue, { maxLength: 30 }),
        (type, nullable, values) => {
          let expected = values.length;
          for (let index = values.length - 1; index >= 0; index--) {
            const value = values[index];
            if (!(value === null ? nullable : fitsColumnType[type](value))) expected = index;
          }
          expect(firstMisfit(type, values, nullable, values.length)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('looks no further than the limit', () => {
    expect(firstMisfit('string', ['a', 'b', 3], false, 2)).toBe(2);
    expect(firstMisfit('string', ['a', 3, 'b'], false, 2)).toBe(1);
  });
});
