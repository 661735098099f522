/**
 * `linkgap run` progress as a real process: on a pseudo-terminal (util-linux `script`) it draws a
 * bar per campaign; with stderr a pipe it writes lines (every 10 pages here, the run being fast).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGN, demoHome } from '#test/support/cli.ts';

const SCRIPT = '/usr/bin/script';
const haveScript = existsSync(SCRIPT);
if (!haveScript) {
  // Skipped loudly on a developer's machine; a missing tool fails CI.
  if (process.env.CI === 'true')
    throw new Error(
      `${SCRIPT} is missing: install util-linux's script (a pseudo-terminal) (CI=true, failing)`,
    );
  console.warn(`${SCRIPT} is missing: these tests are skipped`);
}
const linkgapCommand = (asOf: string) =>
  `${process.execPath} --import tsx cli/bin.ts run --campaign ${DEMO_CAMPAIGN} --as-of ${asOf}`;

describe('linkgap run progress', () => {
  let demo: Awaited<ReturnType<typeof demoHome>>;
  beforeAll(async () => {
    demo = await demoHome(1);
  });
  afterAll(() => demo?.remove());

  it.skipIf(!haveScript)(
    'on a TTY: a bar with the campaign, Moz rows against the budget, pages and link_status batches',
    () => {
      // `script` gives the command a pseudo-terminal; what the terminal received comes back on stdout.
      const screen = execFileSync(
        SCRIPT,
        ['-qfec', `stty cols 200; ${linkgapCommand('2026-08-02')}`, '/dev/null'],
        {
          env: { ...process.env, ...demo.env, CI: '' },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      // Frames are redrawn after "cursor to column 1" (ESC [1G) or a carriage return; ANSI codes dropped.
      const esc = String.fromCharCode(27);
      const ansi = new RegExp(`${esc}\\[[0-9;?]*[A-Za-z]`, 'g');
      const frames = screen
        .split(new RegExp(`${esc}\\[1G|\r`))
        .map((frame) => frame.replace(ansi, '').trim())
        .filter((frame) => frame.startsWith(`${DEMO_CAMPAIGN} 2026-08-01 [`));
      expect(frames.length).toBeGreaterThan(2);
      expect(frames[0]).toMatch(/\[[#-]{40}\] \d+\/25000 Moz rows \| \d+ page\(s\) \| link_status - \| /);
      expect(frames.some((frame) => /link_status \d+\/\d+ \| verifying departures/.test(frame))).toBe(true);
      expect(frames.at(-1)).toMatch(/\| committed$/);
      const pages = frames.map((frame) => Number(/(\d+) page\(s\)/.exec(frame)?.[1]));
      expect(pages).toEqual([...pages].sort((a, b) => a - b));
      expect(screen).toContain('committed'); // and the outcome table after the bar
    },
  );

  it('without a TTY: progress lines on stderr, every 10 pages and at the end', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'cli/bin.ts', 'run', '--campaign', DEMO_CAMPAIGN, '--as-of', '2026-09-02'],
      {
        env: { ...process.env, ...demo.env, CI: '' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.status).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^${DEMO_CAMPAIGN} 2026-09-01: 10 page\\(s\\), [\\d,]+ of 25,000 Moz rows$`),
    );
    expect(lines.at(-1)).toMatch(/: \d+ page\(s\), [\d,]+ of 25,000 Moz rows, link_status batch (\d+)\/\1$/);
    expect(result.stdout).toContain('run of 2026-09-01');
  });
});
