/**
 * Issue 13: the report fits every campaign. A weekly campaign (one label per run date, "per run"), a
 * config change that starts a new baseline (marked, and the headline change counted from it), small
 * closure rates (the axis scales to them) and a single run, each rendered and read in headless Chromium.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReportModel, type ReportRun, renderReport } from '#shared/report/render.ts';

/** Controls (line feeds aside) and bidi controls: what a shown campaign name must not hold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // Skipped loudly on a developer's machine; a missing tool fails CI.
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (CI=true, failing)`);
  console.warn(`${CHROMIUM} is missing: these tests are skipped`);
}

const aRun = (runDate: string, overrides: Partial<ReportRun> = {}): ReportRun => ({
  runDate,
  gapSize: 100,
  newCount: 10,
  closedCount: 1,
  lostCount: 2,
  reopenedCount: 0,
  unverifiedCount: 0,
  closureRate: 0.003,
  previousGapSize: 100,
  rowsConsumed: 600,
  truncated: false,
  baseline: false,
  configChanged: false,
  ...overrides,
});
const firstRun = (runDate: string, gapSize = 100) =>
  aRun(runDate, {
    baseline: true,
    previousGapSize: null,
    closureRate: null,
    newCount: gapSize,
    gapSize,
    closedCount: 0,
    lostCount: 0,
  });

const aModel = (runs: ReportRun[], overrides: Partial<ReportModel> = {}): ReportModel => ({
  campaignId: 'case',
  campaign: {
    id: 'case',
    name: 'Case',
    site: ['a.example'],
    competitors: ['b.example'],
    schedule: 'weekly, monday',
    maxRowsPerRun: 5000,
    enabled: true,
  },
  cadence: 'week',
  generatedAt: '2026-06-01T00:00:00.000Z',
  source: '/lake',
  runs,
  topByScore: [],
  longestOpen: [],
  ...overrides,
});

describe.skipIf(!haveChromium)('the report fits every campaign (Chromium)', () => {
  let browser: Browser;
  const folder = mkdtempSync(join(tmpdir(), 'linkgap-report-cases-'));
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function open(name: string, model: ReportModel): Promise<{ page: Page; problems: string[] }> {
    const path = join(folder, `${name}.html`);
    writeFileSync(path, renderReport(model));
    const page = await (await browser.newContext({ offline: true })).newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`file://${path}`, { waitUntil: 'load' });
    return { page, problems };
  }
  const ticks = (page: Page, chart: string) =>
    page.$$eval(`#${chart} svg text.tick`, (texts) => texts.map((text) => text.textContent ?? ''));
  const tile = (page: Page, label: string) =>
    page.$$eval(
      '.tile',
      (tiles, wanted) =>
        tiles
          .map((t) => [t.querySelector('.label')?.textContent, t.querySelector('.value')?.textContent])
          .find(([l]) => l === wanted)?.[1],
      label,
    );

  it('weekly: one label per run date, and "per run" titles', async () => {
    const dates = ['2026-05-04', '2026-05-11', '2026-05-18', '2026-05-25'];
    const { page, problems } = await open(
      'weekly',
      aModel([firstRun(dates[0] ?? ''), ...dates.slice(1).map((d) => aRun(d))]),
    );
    expect(problems).toEqual([]);
    expect((await ticks(page, 'chart-gap')).filter((t) => /^\d{4}-/.test(t))).toEqual(dates);
    const headings = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
    expect(headings).toContain('New, closed and lost per run');
    expect(headings.join(' ')).not.toMatch(/per month/);
  });

  it('a config change: marked on the charts, and the headline change counted from the new baseline', async () => {
    const runs = [
      firstRun('2026-01-01', 100),
      aRun('2026-02-01', { gapSize: 120 }),
      aRun('2026-03-01', {
        baseline: true,
        configChanged: true,
        previousGapSize: null,
        closureRate: null,
        gapSize: 400,
      }),
      aRun('2026-04-01', { gapSize: 430 }),
    ];
    const { page, problems } = await open('baseline', aModel(runs, { cadence: 'month' }));
    expect(problems).toEqual([]);
    expect(await tile(page, 'change since 2026-03-01 (new baseline)')).toBe('+30');
    const markers = await page.$$eval('#chart-gap svg line.marker', (lines) =>
      lines.map((line) => ({
        title: line.querySelector('title')?.textContent,
        height: line.getBoundingClientRect().height,
      })),
    );
    expect(markers).toEqual([
      {
        title: '2026-03-01: the campaign config changed; a new baseline starts here',
        height: expect.any(Number),
      },
    ]);
    expect(markers[0]?.height).toBeGreaterThan(100);
    expect(await page.textContent('#chart-gap .note')).toContain('Dashed lines mark a new baseline');
    expect((await ticks(page, 'chart-gap')).filter((t) => /^\d{4}-/.test(t))).toEqual([
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
    ]);
  });

  it('the closure-rate axis scales to small rates instead of a fixed 5%', async () => {
    const runs = [
      firstRun('2026-01-01'),
      aRun('2026-02-01', { closureRate: 0.003 }),
      aRun('2026-03-01', { closureRate: 0.004 }),
    ];
    const { page } = await open('rates', aModel(runs, { cadence: 'month' }));
    const axis = (await ticks(page, 'chart-closure')).filter((t) => t.endsWith('%'));
    expect(axis.at(-1)).toBe('0.50%');
    const dots = await page.$$eval('#chart-closure circle', (circles) =>
      circles.map((c) => Number(c.getAttribute('cy'))),
    );
    // The dots sit in the upper part of the plot (y grows downwards; the plot spans about 16-236).
    for (const y of dots) expect(y).toBeLessThan(120);
  });

  it('a stored campaign name with ESC, BEL and a bidi override: the title and heading show it without them', async () => {
    const name = 'Acme\u001b[31m \u0007Shoes\u202eevil';
    const model = aModel([firstRun('2026-05-04')]);
    const html = renderReport({
      ...model,
      campaign: { ...(model.campaign as NonNullable<ReportModel['campaign']>), name },
    });
    expect(html).not.toMatch(UNPRINTABLE);
    const { page } = await open('control-name', {
      ...model,
      campaign: { ...(model.campaign as NonNullable<ReportModel['campaign']>), name },
    });
    expect(await page.title()).toBe('Link gap report: Acme Shoesevil');
    expect(await page.textContent('h1')).toBe('Link gap report: Acme Shoesevil');
  });

  it('a 1000-character title without spaces wraps in its cell: the score and DA columns stay on screen', async () => {
    const prospect = {
      source: `long-${'s'.repeat(300)}.example/page`,
      title: 'T'.repeat(1000),
      domainAuthority: 77,
      matchedCount: 1,
      score: 42.5,
      firstSeenDate: '2026-05-04',
      runsSeen: 1,
      daysOpen: 0,
    };
    const { page, problems } = await open(
      'long-title',
      aModel([firstRun('2026-05-04')], { topByScore: [prospect], longestOpen: [prospect] }),
    );
    expect(problems).toEqual([]);
    await page.setViewportSize({ width: 1000, height: 800 });
    const box = async (selector: string) =>
      (await page.locator(selector).boundingBox()) ?? { x: Number.POSITIVE_INFINITY, width: 0 };
    const right = async (selector: string) => {
      const { x, width } = await box(selector);
      return x + width;
    };
    const layout = {
      viewport: 1000,
      pageWidth: Number(await page.evaluate('document.documentElement.scrollWidth')),
      tableRight: await right('#top-by-score'),
      scoreRight: await right('#top-by-score tbody tr:first-child td:nth-child(3)'),
      daRight: await right('#top-by-score tbody tr:first-child td:nth-child(4)'),
    };
    expect(layout.pageWidth).toBeLessThanOrEqual(layout.viewport);
    expect(layout.tableRight).toBeLessThanOrEqual(layout.viewport);
    expect(layout.scoreRight).toBeLessThanOrEqual(layout.viewport);
    expect(layout.daRight).toBeLessThanOrEqual(layout.viewport);
    expect(await page.textContent('#top-by-score tbody tr:first-child td:nth-child(4)')).toBe('77');
  });

  it('a single run: what it found and cost, and what the next run adds; no empty charts', async () => {
    const { page, problems } = await open('single', aModel([firstRun('2026-05-04', 250)]));
    expect(problems).toEqual([]);
    expect(await page.$$('svg.chart')).toHaveLength(0);
    const text = await page.textContent('#first-run');
    expect(text).toContain('first committed run');
    expect(text).toContain('prospects found250');
    expect(text).toContain('of the 5,000 budget');
    expect(await tile(page, 'gap now')).toBe('250');
  });
});
