/**
 * `linkgap report` end to end: the page is written from a simulated lake, then opened in headless
 * Chromium (Debian's chromium, driven by playwright-core) to prove the charts draw, offline, with no
 * console errors. Without /usr/bin/chromium the browser part skips loudly, except in CI where it fails.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '#shared/report/render.ts';
import { DEMO_CAMPAIGN, demoHome, linkgap, tempDir } from '#test/support/cli.ts';

const CHROMIUM = '/usr/bin/chromium';

/** Runs in the page (a string: this project's TypeScript has no DOM types): decode a PNG, count its colours. */
const COUNT_COLOURS = `async (base64) => {
  const image = new Image();
  image.src = 'data:image/png;base64,' + base64;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  return { distinct: seen.size, hasBlue: seen.has(0x2563eb), hasTeal: seen.has(0x0891b2) };
}`;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (CI=true, failing)`);
  console.warn(
    `\n⚠ ${CHROMIUM} not found: the report rendering test is SKIPPED (apt-get install -y chromium)\n`,
  );
}

/** Opens a report file offline, recording console errors and warnings, page errors and every request. */
async function openOffline(browser: Browser, reportPath: string) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, offline: true });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`file://${reportPath}`, { waitUntil: 'load' });
  return { context, page, problems, requests };
}

describe('linkgap report', () => {
  let demo: Awaited<ReturnType<typeof demoHome>>;
  let out: ReturnType<typeof tempDir>;
  let reportPath: string;
  const hostileName = '</title><script>window.__pwned = 1</script> & "co"';

  beforeAll(async () => {
    demo = await demoHome(4);
    out = tempDir('report');
    const campaign = JSON.parse(
      readFileSync(new URL('../../examples/acme-trail-shoes.json', import.meta.url), 'utf8'),
    );
    const file = join(out.path, 'campaign.json');
    writeFileSync(file, JSON.stringify({ ...campaign, name: hostileName }));
    const updated = await linkgap(['campaign', 'update', file], demo.env);
    if (updated.code !== 0) throw new Error(updated.stderr);
    reportPath = join(out.path, 'sub', 'report.html');
    const result = await linkgap(['report', '--campaign', DEMO_CAMPAIGN, '--out', reportPath], demo.env);
    if (result.code !== 0) throw new Error(result.stderr);
  });
  afterAll(() => {
    demo?.remove();
    out?.remove();
  });

  it('writes one self-contained page: no scripts, no external references, data escaped', () => {
    const html = readFileSync(reportPath, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link rel="stylesheet"|src="http|href="http|@import/i);
    expect(html).toContain(
      '&lt;/title&gt;&lt;script&gt;window.__pwned = 1&lt;/script&gt; &amp; &quot;co&quot;',
    );
    expect(html).toContain('4 committed run(s) from 2026-04-01 to 2026-07-01');
    for (const id of [
      'chart-gap',
      'chart-changes',
      'chart-closure',
      'chart-rows',
      'top-by-score',
      'longest-open',
    ]) {
      expect(html).toContain(`id="${id}"`);
    }
  });

  it('escapes every text it is given', () => {
    const html = renderReport({
      campaignId: 'x',
      campaign: undefined,
      generatedAt: '2026-07-02T00:00:00.000Z',
      source: '<lake>',
      runs: [
        {
          runDate: '2026-07-01',
          gapSize: 1,
          newCount: 1,
          closedCount: 0,
          lostCount: 0,
          reopenedCount: 0,
          unverifiedCount: 0,
          closureRate: null,
          previousGapSize: null,
          rowsConsumed: 5,
          truncated: false,
        },
      ],
      topByScore: [
        {
          source: '"><img src=x onerror=alert(1)>',
          title: '<b>t</b>',
          domainAuthority: 1,
          matchedCount: 1,
          score: 1,
          firstSeenDate: '2026-07-01',
          runsSeen: 1,
          daysOpen: 0,
        },
      ],
      longestOpen: [],
    });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>t</b>');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('The campaign config no longer exists');
  });

  it('fails with one line for a campaign without runs or an unknown one', async () => {
    const unknown = await linkgap(
      ['report', '--campaign', 'nope', '--out', join(out.path, 'x.html')],
      demo.env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^linkgap: no campaign "nope" and no runs of it in .*lake \(linkgap campaign list\)$/,
    );
    const file = join(out.path, 'fresh.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'fresh',
        site: [{ target: 'a.example' }],
        competitors: [{ target: 'b.example' }],
      }),
    );
    await linkgap(['campaign', 'add', file], demo.env);
    const fresh = await linkgap(
      ['report', '--campaign', 'fresh', '--out', join(out.path, 'y.html')],
      demo.env,
    );
    expect(fresh).toMatchObject({
      code: 2,
      stderr:
        'linkgap: campaign "fresh" has no committed runs yet: nothing to report (linkgap run --campaign fresh)',
    });
    const blocked = await linkgap(
      ['report', '--campaign', DEMO_CAMPAIGN, '--out', join(reportPath, 'nested.html')],
      demo.env,
    );
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(
      /^linkgap: cannot write .*nested\.html: a part of the path is a file, not a folder$/,
    );
  });

  it.skipIf(!haveChromium)(
    'renders in headless Chromium: charts drawn, tables filled, no console errors, offline',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const { context, page, problems, requests } = await openOffline(browser, reportPath);
        const screenshot = join(out.path, 'report.png');
        await page.screenshot({ path: screenshot, fullPage: true });

        expect(problems).toEqual([]);
        expect(requests.filter((url) => !url.startsWith('file://') && !url.startsWith('data:'))).toEqual([]);
        expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
        expect(await page.title()).toContain('Link gap report');

        const charts = await page.$$eval('svg.chart', (svgs) =>
          svgs.map((svg) => {
            const box = svg.getBoundingClientRect();
            const shapes = [...svg.querySelectorAll('path')].map((path) => path.getAttribute('d') ?? '');
            return {
              label: svg.getAttribute('aria-label'),
              width: box.width,
              height: box.height,
              drawn: shapes.filter(
                (d) => /^M[\d.]+,[\d.]+[LV]/.test(d) && (d.match(/[\d.]+/g) ?? []).length >= 4,
              ).length,
              dots: svg.querySelectorAll('circle').length,
            };
          }),
        );
        expect(charts.map((chart) => chart.label)).toEqual([
          'Gap size per run',
          'New, closed and lost prospects per run',
          'Closure rate per run',
          'Moz rows spent per run',
        ]);
        for (const chart of charts) {
          expect(chart.width).toBeGreaterThan(500);
          expect(chart.height).toBeGreaterThan(150);
          expect(chart.drawn).toBeGreaterThan(0);
        }
        expect(charts[0]?.dots).toBe(4); // one point per run
        expect(charts[2]?.dots).toBe(3); // the baseline has no closure rate
        expect(charts[3]?.drawn).toBe(4); // one bar per run

        // The pixels, not just the markup: each chart's screenshot, decoded in the page, has its series colours.
        for (const id of ['chart-gap', 'chart-changes', 'chart-closure', 'chart-rows']) {
          const shot = await page.locator(`#${id} svg`).screenshot();
          const colours = (await page.evaluate(
            `(${COUNT_COLOURS})(${JSON.stringify(shot.toString('base64'))})`,
          )) as {
            distinct: number;
            hasBlue: boolean;
            hasTeal: boolean;
          };
          expect(colours.distinct, id).toBeGreaterThan(10);
          if (id === 'chart-gap') expect(colours.hasBlue).toBe(true);
          if (id === 'chart-rows') expect(colours.hasTeal).toBe(true);
        }
        expect(readFileSync(screenshot).length).toBeGreaterThan(20_000);

        const tableRows = await page.$$eval('#top-by-score tbody tr', (rows) =>
          rows.map((row) => row.querySelector('.source')?.textContent ?? ''),
        );
        expect(tableRows).toHaveLength(20);
        expect(tableRows.every((source) => source.length > 3)).toBe(true);
        expect(await page.$$eval('#longest-open tbody tr', (rows) => rows.length)).toBe(20);
        await context.close();
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});

/** The latest run's prospects, as the cookbook's query answers them (sources, competitors, score). */
async function latestProspects(
  env: Record<string, string>,
): Promise<{ source: string; matched_count: number }[]> {
  const result = await linkgap(
    [
      'query',
      '--format',
      'json',
      `SELECT p.source, p.matched_count, p.score FROM prospects p JOIN runs r ON r.run_id = p.run_id AND r.run_date = p.run_date WHERE p.campaign_id = '${DEMO_CAMPAIGN}' AND r.campaign_id = '${DEMO_CAMPAIGN}' AND p.run_date = (SELECT max(run_date) FROM runs WHERE campaign_id = '${DEMO_CAMPAIGN}') ORDER BY p.score DESC, p.domain_authority DESC, p.source`,
    ],
    env,
  );
  if (result.code !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

describe('linkgap report: the outreach sections (issue 12)', () => {
  let demo: Awaited<ReturnType<typeof demoHome>>;
  let out: ReturnType<typeof tempDir>;
  let reportPath: string;
  let prospects: { source: string; matched_count: number }[];
  let won: string;
  let rejected: string;
  let contacted: string;

  beforeAll(async () => {
    demo = await demoHome(3);
    out = tempDir('report-reviews');
    prospects = await latestProspects(demo.env);
    [won, rejected, contacted] = prospects.map((p) => p.source) as [string, string, string];
    const set = async (source: string, ...flags: string[]) => {
      const result = await linkgap(
        ['review', 'set', '--campaign', DEMO_CAMPAIGN, source, '--by', 'tess', ...flags],
        demo.env,
      );
      if (result.code !== 0) throw new Error(result.stderr);
    };
    await set(won, '--state', 'contacted', '--category', 'editorial');
    await set(won, '--state', 'won');
    await set(rejected, '--state', 'rejected', '--note', 'spam farm');
    await set(contacted, '--state', 'contacted', '--category', 'resource_page');
    reportPath = join(out.path, 'report.html');
    const result = await linkgap(['report', '--campaign', DEMO_CAMPAIGN, '--out', reportPath], demo.env);
    if (result.code !== 0) throw new Error(result.stderr);
  }, 120_000);
  afterAll(() => {
    demo?.remove();
    out?.remove();
  });

  it('the page still holds no script and no external reference', () => {
    const html = readFileSync(reportPath, 'utf8');
    expect(html).not.toMatch(/<script|<link rel="stylesheet"|src="http|href="http|@import/i);
    for (const id of ['review-queue', 'top-unreviewed', 'links-won', 'won-links', 'multi-competitor'])
      expect(html).toContain(`id="${id}"`);
  });

  it.skipIf(!haveChromium)(
    'renders in Chromium with the queue counts, the won link by category and the 2+ competitor pages',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox'],
      });
      try {
        const { context, page, problems, requests } = await openOffline(browser, reportPath);
        expect(problems).toEqual([]);
        expect(requests.filter((url) => !url.startsWith('file://') && !url.startsWith('data:'))).toEqual([]);

        // Counts per state: every prospect of the latest run and every reviewed source.
        const counts = Object.fromEntries(
          await page.$$eval('#review-queue .tile', (tiles) =>
            tiles.map((tile) => [
              tile.getAttribute('data-key'),
              Number(tile.querySelector('.value')?.textContent?.replace(/,/g, '')),
            ]),
          ),
        );
        expect(counts).toEqual({
          to_review: prospects.length - 3,
          approved: 0,
          contacted: 1,
          won: 1,
          rejected: 1,
          do_not_contact: 0,
        });
        const unreviewed = await page.$$eval('#top-unreviewed tbody tr .source', (cells) =>
          cells.map((cell) => cell.textContent),
        );
        expect(unreviewed).toEqual(prospects.map((p) => p.source).slice(3, 23));

        // The won link, its category and who won it; the chart draws one bar for it.
        const wonRows = await page.$$eval('#won-links tbody tr', (rows) =>
          rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)),
        );
        expect(wonRows).toEqual([[won, expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), 'editorial', 'tess']]);
        const chart = page.locator('#links-won svg.chart');
        expect(await chart.getAttribute('aria-label')).toBe('Links won per month, by category');
        const bars = await chart
          .locator('path.bar')
          .evaluateAll((paths) => paths.map((path) => path.querySelector('title')?.textContent ?? ''));
        expect(bars.filter((title) => title.endsWith('editorial: 1'))).toHaveLength(1);
        const box = await chart.boundingBox();
        expect(box?.width).toBeGreaterThan(500);

        // Pages linking to two or more competitors: all of the latest run's, most competitors first.
        const multi = prospects.filter((p) => p.matched_count >= 2);
        expect(multi.length).toBeGreaterThan(0);
        const multiRows = await page.$$eval('#multi-competitor tbody tr', (rows) =>
          rows.map((row) => ({
            source: row.querySelector('.source')?.textContent ?? '',
            competitors: Number(row.querySelectorAll('td')[2]?.textContent),
            review: row.querySelectorAll('td')[6]?.textContent,
          })),
        );
        expect(multiRows).toHaveLength(Math.min(20, multi.length));
        expect(multiRows.every((row) => row.competitors >= 2)).toBe(true);
        const competitors = multiRows.map((row) => row.competitors);
        expect(competitors).toEqual([...competitors].sort((a, b) => b - a));
        expect(await page.locator('#multi-competitor-section .note').textContent()).toContain(
          `${multi.length} prospect(s) of the latest run link to two or more competitors`,
        );
        // The rejected source is one of them (this lake's data): its row must show its review, and
        // a loop over the matching rows would pass unseen if it ever dropped out of the table.
        expect(multiRows.filter((row) => row.source === rejected).map((row) => row.review)).toEqual([
          'rejected',
        ]);
        await context.close();
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
