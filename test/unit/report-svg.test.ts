/**
 * The report's chart axes (shared/report/svg.ts): counts are whole numbers, so a count chart's y-axis
 * ticks are whole and distinct; a run with 0 of everything read `1, 1, 1, 0, 0, 0` (0.2 steps rounded).
 */
import { describe, expect, it } from 'vitest';
import { barChart, lineChart } from '../../shared/report/svg.ts';

function yTicks(svg: string): string[] {
  return [...svg.matchAll(/<text class="tick"[^>]*text-anchor="end">([^<]*)<\/text>/g)].map(
    (match) => match[1] ?? '',
  );
}

const counts = (values: number[]) => ({
  title: 'New, closed and lost per run',
  labels: values.map((_, index) => `2026-0${index + 1}-01`),
  series: [{ name: 'new', values, color: '#1f77b4' }],
});

describe('count chart y-axis ticks', () => {
  it.each([
    [[0], ['0', '1']],
    [
      [0, 0, 0],
      ['0', '1'],
    ],
    [[1], ['0', '1']],
    [[2], ['0', '1', '2']],
    [[3], ['0', '1', '2', '3']],
    [[7], ['0', '2', '4', '6', '8']],
    [[40], ['0', '10', '20', '30', '40']],
    [[12], ['0', '5', '10', '15']],
  ])('max of %j gives %j', (values, ticks) => {
    expect(yTicks(barChart(counts(values)))).toEqual(ticks);
    expect(yTicks(lineChart(counts(values)))).toEqual(ticks);
  });

  it('a chart with its own format keeps fractional steps (rates)', () => {
    const svg = lineChart({ ...counts([0.5]), format: (value) => value.toFixed(1) });
    expect(yTicks(svg)).toEqual(['0.0', '0.1', '0.2', '0.3', '0.4', '0.5']);
  });
});
