/**
 * `linkgap report` end to end: the page is written from a simulated lake, then opened in headless
 * Chromium (Debian's chromium, driven by playwright-core) to prove the charts draw, offline, with no
 * console errors. Without /usr/bin/chromium the browser part skips loudly, except in CI where it fails.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
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
    expect(blocked.stderr).toMatch(/^linkgap: cannot write .*nested\.html: (ENOTDIR|EEXIST)$/);
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
