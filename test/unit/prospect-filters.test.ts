/**
 * The prospect filter options (cli/prospect-filters.ts): whole-number options take plain non-negative
 * decimal digits and score options plain decimals from 0 to 100; anything else (-1, 1.5, 0x10, 1e1) is
 * one line naming the option, never a silently reinterpreted value or a file named `min-matches--1`.
 */
import { describe, expect, it } from 'vitest';
import { prospectFilterLabel } from '../../cli/prospect-filters.ts';

describe('prospect filter options', () => {
  it.each(['-1', '1.5', '0x10', '1e1', ' 2', '+2', '', '7'])('--min-matches %j is refused', (value) => {
    expect(() => prospectFilterLabel({ minMatches: value })).toThrow(
      `--min-matches must be a whole number from 0 to 6, got ${JSON.stringify(value)}`,
    );
  });

  it('--min-matches 2 is taken', () => {
    expect(prospectFilterLabel({ minMatches: '2' })).toBe('min-matches-2');
  });

  it.each([
    ['minDa', '--min-da', '0x10'],
    ['maxSpam', '--max-spam', '1e1'],
    ['minScore', '--min-score', '.5'],
    ['minDa', '--min-da', ' 16'],
    ['minDa', '--min-da', 'Infinity'],
    ['minScore', '--min-score', '5.'],
  ] as const)('%s %j is refused as not a plain decimal', (key, option, value) => {
    expect(() => prospectFilterLabel({ [key]: value })).toThrow(
      `${option} must be a decimal number from 0 to 100 (like 40 or 12.5), got ${JSON.stringify(value)}`,
    );
  });

  it.each([
    ['minDa', '--min-da', '120'],
    ['maxSpam', '--max-spam', '-5'],
  ] as const)('%s %s is out of range', (key, option, value) => {
    expect(() => prospectFilterLabel({ [key]: value })).toThrow(
      `${option} must be between 0 and 100, got ${value}`,
    );
  });

  it('plain decimals in range are taken', () => {
    expect(prospectFilterLabel({ minDa: '16', maxSpam: '2.5', minScore: '0' })).toBe(
      'min-da-16-max-spam-2.5-min-score-0',
    );
  });
});
