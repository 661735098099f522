/**
 * The campaign report: one self-contained HTML page (inline CSS and SVG, no script, no network) that
 * a stakeholder can open from a mail attachment. Pure: the model in, the page out.
 */
import { withoutControlCharacters } from '#domain/printable.ts';
import { definitionList, integer, percent, prospectTable, section, tiles } from './parts.ts';
import { type ReportReviews, reviewSections } from './review-sections.ts';
import { barChart, escapeHtml, lineChart } from './svg.ts';

export interface ReportRun {
  runDate: string;
  gapSize: number;
  newCount: number;
  closedCount: number;
  lostCount: number;
  reopenedCount: number;
  unverifiedCount: number;
  /** null for a baseline run (nothing to compare with). */
  closureRate: number | null;
  /** The gap closure is measured against; null for a baseline. */
  previousGapSize: number | null;
  rowsConsumed: number;
  truncated: boolean;
  /** The first run of a baseline: no comparable run before it (the first run, or a config change). */
  baseline?: boolean;
  /** Its config hash differs from the run before it: a config change started a new baseline here. */
  configChanged?: boolean;
}

export interface ReportProspect {
  source: string;
  title: string;
  domainAuthority: number;
  matchedCount: number;
  score: number;
  firstSeenDate: string;
  runsSeen: number;
  daysOpen: number;
}

export interface ReportCampaign {
  id: string;
  name?: string;
  site: string[];
  competitors: string[];
  schedule: string;
  maxRowsPerRun: number;
  enabled: boolean;
}

export interface ReportModel {
  campaignId: string;
  /** The stored config, when it still exists (a removed campaign keeps its history). */
  campaign: ReportCampaign | undefined;
  /** ISO timestamp. */
  generatedAt: string;
  /** Where the data came from, e.g. the lake folder or s3://bucket. */
  source: string;
  /** How often the campaign runs: weekly runs are labelled by date, monthly ones by month. */
  cadence?: 'month' | 'week';
  /** Committed runs, oldest first. */
  runs: ReportRun[];
  topByScore: ReportProspect[];
  longestOpen: ReportProspect[];
  /** The outreach sections (review queue, links won, pages linking to 2+ competitors); absent: not shown. */
  reviews?: ReportReviews;
}

const COLORS = {
  gap: '#2563eb',
  new: '#f59e0b',
  closed: '#16a34a',
  lost: '#dc2626',
  rate: '#7c3aed',
  rows: '#0891b2',
};

function summaryTiles(model: ReportModel): string {
  const latest = model.runs.at(-1);
  const since = currentBaselineStart(model.runs);
  const closed = model.runs.reduce((sum, run) => sum + run.closedCount, 0);
  const compared = model.runs.filter((run) => run.previousGapSize !== null);
  const exposed = compared.reduce((sum, run) => sum + (run.previousGapSize ?? 0), 0);
  const closedCompared = compared.reduce((sum, run) => sum + run.closedCount, 0);
  // The change is measured within the current baseline: a config change makes earlier gaps incomparable.
  const changeLabel =
    since === undefined || since === model.runs[0]
      ? 'change since first run'
      : `change since ${since.runDate} (new baseline)`;
  return tiles([
    { label: 'gap now', value: latest ? integer(latest.gapSize) : '-' },
    {
      label: changeLabel,
      value:
        latest && since && model.runs.length > 1
          ? `${latest.gapSize - since.gapSize >= 0 ? '+' : ''}${integer(latest.gapSize - since.gapSize)}`
          : '-',
    },
    { label: 'closed in total', value: integer(closed) },
    { label: 'closure rate overall', value: exposed > 0 ? percent(closedCompared / exposed) : '-' },
    {
      label: 'Moz rows spent',
      value: integer(model.runs.reduce((sum, run) => sum + run.rowsConsumed, 0)),
    },
  ]);
}

/** The first run of the current baseline: the latest run marked as a baseline, else the first run. */
function currentBaselineStart(runs: readonly ReportRun[]): ReportRun | undefined {
  return runs.findLast((run) => run.baseline === true || run.configChanged === true) ?? runs[0];
}

/** Month labels for monthly runs, one date per run otherwise (weekly runs, or two runs in a month). */
function runLabels(model: ReportModel): string[] {
  const months = model.runs.map((run) => run.runDate.slice(0, 7));
  const monthly = model.cadence !== 'week' && new Set(months).size === months.length;
  return monthly ? months : model.runs.map((run) => run.runDate);
}

/** Where a config change started a new baseline (the first run is no change, and gets no marker). */
function baselineMarkers(model: ReportModel): { index: number; title: string }[] {
  return model.runs.flatMap((run, index) =>
    index > 0 && (run.configChanged || run.baseline)
      ? [{ index, title: `${run.runDate}: the campaign config changed; a new baseline starts here` }]
      : [],
  );
}

function configSummary(model: ReportModel): string {
  const c = model.campaign;
  if (!c) return `<p class="meta">The campaign config no longer exists; its history is shown.</p>`;
  return definitionList([
    ['site', c.site.join(', ')],
    ['competitors', c.competitors.join(', ')],
    ['schedule', c.schedule],
    ['budget', `${integer(c.maxRowsPerRun)} Moz rows per run`],
    ['status', c.enabled ? 'enabled' : 'disabled'],
  ]);
}

/** A stored name from before control characters were refused at validation is shown without them. */
const reportTitle = (model: ReportModel) =>
  `Link gap report: ${withoutControlCharacters(model.campaign?.name ?? '').trim() || model.campaignId}`;

/** The whole page: header, the trend over the runs, the prospects, the outreach sections. */
export function renderReport(model: ReportModel): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(reportTitle(model))}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${pageHeader(model)}
<main>
${summaryTiles(model)}
${trendSections(model)}
${prospectSections(model)}
${reviewSections(model.reviews)}
</main>
<footer>linkgap · Moz Links API V2 Link Intersect · data as of the latest committed run</footer>
</body>
</html>
`;
}

function pageHeader(model: ReportModel): string {
  const first = model.runs[0]?.runDate ?? '';
  const last = model.runs.at(-1)?.runDate ?? '';
  const span = model.runs.length > 0 ? ` from ${escapeHtml(first)} to ${escapeHtml(last)}` : '';
  const generated = escapeHtml(model.generatedAt.slice(0, 16).replace('T', ' '));
  return `<header>
<h1>${escapeHtml(reportTitle(model))}</h1>
<p class="meta">Campaign <code>${escapeHtml(model.campaignId)}</code> · ${model.runs.length} committed run(s)${span} · generated ${generated} UTC from ${escapeHtml(model.source)}</p>
${configSummary(model)}
</header>`;
}

/** The runs over time: a chart each, or what a first run found when there is no trend yet. */
function trendSections(model: ReportModel): string {
  if (model.runs.length === 0) return '<p class="empty">No committed runs yet.</p>';
  if (model.runs.length === 1) return firstRunSection(model);
  return [gapSection, changesSection, closureRateSection, rowsSection].map((make) => make(model)).join('');
}

function gapSection(model: ReportModel): string {
  const markers = baselineMarkers(model);
  return section(
    'Gap size over time',
    `Prospects that link to competitors but not to you, per run.${markerNote(markers)}`,
    lineChart({
      title: 'Gap size per run',
      labels: runLabels(model),
      markers,
      series: [{ name: 'gap size', values: model.runs.map((r) => r.gapSize), color: COLORS.gap }],
    }),
    'chart-gap',
  );
}

function changesSection(model: ReportModel): string {
  return section(
    'New, closed and lost per run',
    `closed: now links to you (verified with Moz link_status); lost: left the gap without linking to you.${baselineNote(model.runs)}`,
    barChart({
      title: 'New, closed and lost prospects per run',
      labels: runLabels(model),
      markers: baselineMarkers(model),
      series: [
        // A baseline's "new" is the whole first gap list: it would flatten every other bar.
        {
          name: 'new',
          values: model.runs.map((r) => (r.previousGapSize === null ? null : r.newCount)),
          color: COLORS.new,
        },
        { name: 'closed', values: model.runs.map((r) => r.closedCount), color: COLORS.closed },
        { name: 'lost', values: model.runs.map((r) => r.lostCount), color: COLORS.lost },
      ],
    }),
    'chart-changes',
  );
}

/** The closure-rate chart, or a sentence when no run has a rate yet (only baselines so far). */
function closureRateSection(model: ReportModel): string {
  const heading = 'Closure rate';
  if (model.runs.every((run) => run.closureRate === null))
    return `<section id="chart-closure"><h2>${heading}</h2><p class="empty">No closure rate yet: every run so far starts a baseline, and the rate needs a comparable previous run.</p></section>`;
  return section(
    heading,
    'Closed gaps over the previous run\u2019s gap size. The first run of a baseline has none.',
    lineChart({
      title: 'Closure rate per run',
      labels: runLabels(model),
      markers: baselineMarkers(model),
      series: [{ name: 'closure rate', values: model.runs.map((r) => r.closureRate), color: COLORS.rate }],
      format: percent,
      yMax: niceRateMax(model.runs),
    }),
    'chart-closure',
  );
}

function rowsSection(model: ReportModel): string {
  const truncated = model.runs.filter((run) => run.truncated).map((run) => run.runDate);
  return section(
    'Moz rows spent',
    `Weighted rows per run (5 per Link Intersect row, 2 per Link Status source).${truncated.length > 0 ? ` Truncated by the budget: ${truncated.join(', ')}.` : ''}`,
    barChart({
      title: 'Moz rows spent per run',
      labels: runLabels(model),
      series: [{ name: 'Moz rows', values: model.runs.map((r) => r.rowsConsumed), color: COLORS.rows }],
    }),
    'chart-rows',
  );
}

function prospectSections(model: ReportModel): string {
  return `<section><h2>Top open prospects by score</h2><p class="note">From the latest run. Score 0-100: Domain Authority 60%, share of competitors linked 30%, low Spam Score 10%.</p>
${prospectTable('top-by-score', 'Top open prospects by score', model.topByScore)}</section>
<section><h2>Longest open prospects</h2><p class="note">Still in the gap in the latest run, open the longest.</p>
${prospectTable('longest-open', 'Longest open prospects', model.longestOpen)}</section>`;
}

function baselineNote(runs: readonly ReportRun[]): string {
  const baselines = runs.filter((run) => run.previousGapSize === null);
  if (baselines.length === 0) return '';
  return ` New is not drawn for baseline runs (${baselines.map((run) => `${run.runDate}: ${integer(run.newCount)} prospects`).join(', ')}), where every prospect is new.`;
}

function markerNote(markers: readonly { title: string }[]): string {
  if (markers.length === 0) return '';
  return ` Dashed lines mark a new baseline: ${markers.map((marker) => marker.title).join('; ')}; the change tile counts from the latest.`;
}

/** A single run has no trend yet: what it found, what it cost, and what the next run will add. */
function firstRunSection(model: ReportModel): string {
  const run = model.runs[0];
  if (!run) return '';
  const budget = model.campaign ? ` of the ${integer(model.campaign.maxRowsPerRun)} budget` : '';
  const items: [string, string][] = [
    ['run date', run.runDate],
    ['prospects found', integer(run.gapSize)],
    ['Moz rows spent', `${integer(run.rowsConsumed)}${budget}`],
    ['complete', run.truncated ? 'no: the budget ran out (truncated)' : 'yes'],
  ];
  return `<section id="first-run"><h2>First run</h2><p class="note">This is the campaign's first committed run: its gap list is the baseline. From the next run on, this page shows the gap over time, new, closed and lost prospects per run, the closure rate and the Moz rows spent.</p>${definitionList(items)}</section>`;
}

/** Rates are small numbers: scale to the data, but never past 100%. */
function niceRateMax(runs: readonly ReportRun[]): number {
  const max = Math.max(0, ...runs.map((run) => run.closureRate ?? 0));
  if (max <= 0) return 0.1;
  const steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1];
  return steps.find((step) => step >= max) ?? 1;
}

const STYLE = `
:root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 980px; padding: 24px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 2px; }
h3 { font-size: 15px; margin: 14px 0 4px; }
.meta, .note, footer { color: var(--muted); font-size: 13px; }
.note { margin: 0 0 8px; }
code { font-size: 13px; background: #f3f4f6; padding: 1px 4px; border-radius: 3px; }
dl.config { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 14px; margin: 12px 0; }
dl.config dt { color: var(--muted); }
dl.config dd { margin: 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 18px 0; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.tile .value { font-size: 24px; font-weight: 650; }
.tile .label { color: var(--muted); font-size: 13px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: #9ca3af; stroke-width: 1; }
svg .tick, svg .legend { font-size: 12px; fill: var(--muted); font-family: inherit; }
svg .legend { fill: var(--ink); }
svg .marker { stroke: #6b7280; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .line { fill: none; stroke-width: 2.5; stroke-linejoin: round; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding-bottom: 4px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td, h1, dd { overflow-wrap: anywhere; }
td.num { overflow-wrap: normal; white-space: nowrap; }
th { font-weight: 600; background: #f9fafb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.source { font-weight: 600; word-break: break-all; }
td.nowrap { white-space: nowrap; }
.title { color: var(--muted); font-size: 13px; }
footer { margin-top: 32px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print { body { padding: 0; } section { break-inside: avoid; } }
`;
