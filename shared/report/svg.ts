/**
 * Small server-side SVG charts for the HTML report: no script, no network, readable printed or
 * offline. Every text that reaches the markup goes through {@link escapeHtml}.
 */

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export interface Series {
  name: string;
  /** One value per label; null leaves a gap. */
  values: readonly (number | null)[];
  color: string;
}

export interface ChartInput {
  /** Accessible name, also the SVG's <title>. */
  title: string;
  labels: readonly string[];
  series: readonly Series[];
  /** How values print on the axis and in tooltips. @default integers with thousands separators */
  format?: (value: number) => string;
  /** Fixed top of the y axis (e.g. 1 for rates); otherwise a round number above the data. */
  yMax?: number;
  /** Dashed vertical lines before these label indexes, each with its tooltip (e.g. a new baseline). */
  markers?: readonly { index: number; title: string }[];
}

const WIDTH = 720;
const HEIGHT = 280;
const MARGIN = { top: 16, right: 20, bottom: 44, left: 64 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

const defaultFormat = (value: number) => Math.round(value).toLocaleString('en-US');
const round = (value: number) => Math.round(value * 10) / 10;

/**
 * A round axis maximum and step, about five gridlines. With `wholeNumbers` (counts, printed as
 * integers) the step is at least 1: 0.2 steps would print as `0, 0, 0, 1, 1, 1` for an all-zero run.
 */
export function niceScale(
  max: number,
  options: { wholeNumbers?: boolean } = {},
): { max: number; step: number } {
  if (!(max > 0)) return options.wholeNumbers ? { max: 1, step: 1 } : { max: 1, step: 0.2 };
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const candidates = [1, 2, 2.5, 5, 10]
    .map((m) => m * magnitude)
    .filter((candidate) => !options.wholeNumbers || Number.isInteger(candidate));
  const step = candidates.find((candidate) => candidate >= rough) ?? (options.wholeNumbers ? 1 : rough);
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

function frame(input: ChartInput, yMax: number, step: number, body: string): string {
  const format = input.format ?? defaultFormat;
  const y = (value: number) => MARGIN.top + PLOT_H - (value / yMax) * PLOT_H;
  const grid: string[] = [];
  for (let tick = 0; tick <= yMax + step / 1000; tick += step) {
    const ty = round(y(tick));
    grid.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}"/>` +
        `<text class="tick" x="${MARGIN.left - 8}" y="${ty + 4}" text-anchor="end">${escapeHtml(format(tick))}</text>`,
    );
  }
  const count = input.labels.length;
  const every = Math.max(1, Math.ceil(count / 12));
  const xLabels = input.labels
    .map((label, index) =>
      index % every === 0 || index === count - 1
        ? `<text class="tick" x="${round(xCenter(index, count))}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${escapeHtml(label)}</text>`
        : '',
    )
    .join('');
  const legend = input.series
    .map(
      (series, index) =>
        `<g transform="translate(${MARGIN.left + index * 130},${HEIGHT - 12})"><rect width="12" height="12" y="-10" rx="2" fill="${escapeHtml(series.color)}"/><text class="legend" x="18">${escapeHtml(series.name)}</text></g>`,
    )
    .join('');
  const markers = (input.markers ?? [])
    .map(({ index, title }) => {
      const x = round(xCenter(index, count) - PLOT_W / Math.max(count, 1) / 2);
      return `<line class="marker" x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}"><title>${escapeHtml(title)}</title></line>`;
    })
    .join('');
  return (
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(input.title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeHtml(input.title)}</title>${grid.join('')}` +
    `<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}"/>` +
    `${markers}${body}${xLabels}${legend}</svg>`
  );
}

function xCenter(index: number, count: number): number {
  const slot = PLOT_W / Math.max(count, 1);
  return MARGIN.left + slot * index + slot / 2;
}

function scaleOf(input: ChartInput): { yMax: number; step: number; y: (value: number) => number } {
  const dataMax = Math.max(
    0,
    ...input.series.flatMap((series) => series.values.filter((v): v is number => v !== null)),
  );
  // The default format prints integers, so its ticks must be whole numbers to stay distinct.
  const scale =
    input.yMax !== undefined
      ? { max: input.yMax, step: input.yMax / 5 }
      : niceScale(dataMax, { wholeNumbers: input.format === undefined });
  return {
    yMax: scale.max,
    step: scale.step,
    y: (value: number) => MARGIN.top + PLOT_H - (value / scale.max) * PLOT_H,
  };
}

/** Lines with a dot per point (a tooltip on each); a null splits the line. */
export function lineChart(input: ChartInput): string {
  const format = input.format ?? defaultFormat;
  const { yMax, step, y } = scaleOf(input);
  const count = input.labels.length;
  const body = input.series
    .map((series) => {
      const segments: string[] = [];
      let current = '';
      const dots: string[] = [];
      series.values.forEach((value, index) => {
        if (value === null) {
          if (current) segments.push(current);
          current = '';
          return;
        }
        const px = round(xCenter(index, count));
        const py = round(y(value));
        current += `${current ? 'L' : 'M'}${px},${py}`;
        dots.push(
          `<circle cx="${px}" cy="${py}" r="4" fill="${escapeHtml(series.color)}"><title>${escapeHtml(`${input.labels[index] ?? ''} ${series.name}: ${format(value)}`)}</title></circle>`,
        );
      });
      if (current) segments.push(current);
      const paths = segments
        .map((d) => `<path class="line" d="${d}" stroke="${escapeHtml(series.color)}"/>`)
        .join('');
      return paths + dots.join('');
    })
    .join('');
  return frame(input, yMax, step, body);
}

/** Grouped bars, one group per label, one bar per series, with value tooltips. */
export function barChart(input: ChartInput): string {
  const format = input.format ?? defaultFormat;
  const { yMax, step, y } = scaleOf(input);
  const count = input.labels.length;
  const slot = PLOT_W / Math.max(count, 1);
  const groupWidth = slot * 0.75;
  const barWidth = groupWidth / Math.max(input.series.length, 1);
  const base = MARGIN.top + PLOT_H;
  const body = input.series
    .map((series, seriesIndex) =>
      series.values
        .map((value, index) => {
          if (value === null) return '';
          const x = round(MARGIN.left + slot * index + (slot - groupWidth) / 2 + barWidth * seriesIndex);
          const top = round(y(value));
          const label = `${input.labels[index] ?? ''} ${series.name}: ${format(value)}`;
          // A path rather than <rect>, so a zero-height bar still has geometry a test can read.
          return `<path class="bar" d="M${x},${base}V${top}H${round(x + barWidth - 1)}V${base}Z" fill="${escapeHtml(series.color)}"><title>${escapeHtml(label)}</title></path>`;
        })
        .join(''),
    )
    .join('');
  return frame(input, yMax, step, body);
}
