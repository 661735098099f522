/**
 * The review commands at their edges, through the CLI on a demo home: a note the store would refuse
 * to read is refused before anything is written, a source matches with its host in any case, a UTF-16
 * "Unicode text" export imports, and an oversized or empty file is one line that imports nothing.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGN, demoHome, linkgap } from '#test/support/cli.ts';

describe('review set and import at their edges', () => {
  let home: Awaited<ReturnType<typeof demoHome>>;
  let sources: string[];
  const cli = (args: string[]) => linkgap(args, home.env);
  const exportQueue = async (name: string) => {
    const out = join(home.home, name);
    const result = await cli(['review', 'export', '--campaign', DEMO_CAMPAIGN, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    return out;
  };

  beforeAll(async () => {
    home = await demoHome(1);
    const rows = parse(readFileSync(await exportQueue('first.csv'), 'utf8'), { bom: true, columns: true });
    sources = (rows as Record<string, string>[]).map((row) => row.source ?? '');
  }, 60_000);
  afterAll(() => home.remove());

  it('set refuses a note longer than a review holds in one line, and the campaign stays usable', async () => {
    const [source] = sources as [string];
    const result = await cli([
      'review',
      'set',
      '--campaign',
      DEMO_CAMPAIGN,
      source,
      '--note',
      'n'.repeat(3000),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('linkgap: --note is 3000 characters; a note holds at most 2000');
    // Nothing was written: every review command still reads the campaign's reviews.
    await exportQueue('after-long-note.csv');
    const ok = await cli(['review', 'set', '--campaign', DEMO_CAMPAIGN, source, '--note', 'n'.repeat(2000)]);
    expect(ok.code, ok.stderr).toBe(0);
    const story = await cli(['prospect', '--campaign', DEMO_CAMPAIGN, source]);
    expect(story.code, story.stderr).toBe(0);
  });

  it('set matches a source with its host in any case and changes the listed one', async () => {
    const source = sources[1] ?? '';
    const shouted = source.replace(/^[^/]*/, (host) => host.toUpperCase());
    expect(shouted).not.toBe(source);
    const result = await cli(['review', 'set', '--campaign', DEMO_CAMPAIGN, shouted, '--state', 'approved']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`  ${source}: to_review -> approved`);
    const unknown = await cli([
      'review',
      'set',
      '--campaign',
      DEMO_CAMPAIGN,
      'NOT-LISTED.example',
      '--state',
      'won',
    ]);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: `linkgap: NOT-LISTED.example is not a prospect of campaign "${DEMO_CAMPAIGN}" (linkgap review export lists them)`,
    });
  });

  it('prospect finds a source typed with its host in any case, as set and import do', async () => {
    const source = sources.find((listed) => listed.includes('/')) ?? sources[0] ?? '';
    const shouted = source.replace(/^[^/]*/, (host) => host.toUpperCase());
    expect(shouted).not.toBe(source);
    const story = await cli(['prospect', '--campaign', DEMO_CAMPAIGN, shouted]);
    expect(story.code, story.stderr).toBe(0);
    expect(story.stdout.split('\n')[0]).toBe(`${source} in ${DEMO_CAMPAIGN}`);
    expect(story.stdout).toContain('runs that listed it (1)');
    // The path's case counts: a different path is a different page, never a prospect here.
    const otherPath = `${source.replace(/^[^/]*/, '')}`.length > 1 ? `${source}-NOPE` : `${source}/NOPE`;
    expect((await cli(['prospect', '--campaign', DEMO_CAMPAIGN, otherPath])).code).toBe(2);
  });

  it('imports a UTF-16 tab-separated file, as Excel saves "Unicode text"', async () => {
    const source = sources[2] ?? '';
    const text = `source\tstate\tnote\r\n${source}\tcontacted\tmailed, twice\r\n`;
    const file = join(home.home, 'unicode.txt');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const result = await cli(['review', 'import', '--campaign', DEMO_CAMPAIGN, file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`  ${source}: to_review -> contacted (note)`);
  });

  it('imports a ;-separated Windows-1252 file (Excel\'s plain "CSV") without mangling the note', async () => {
    const source = sources[3] ?? '';
    const file = join(home.home, 'excel-cp1252.csv');
    // "Café – contacted Müller" in Windows-1252: é 0xE9, – 0x96, ü 0xFC (not valid UTF-8).
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(`source;state;note\r\n${source};contacted;Caf`),
        Buffer.from([0xe9, 0x20, 0x96]),
        Buffer.from(' contacted M'),
        Buffer.from([0xfc]),
        Buffer.from('ller\r\n'),
      ]),
    );
    const result = await cli(['review', 'import', '--campaign', DEMO_CAMPAIGN, file]);
    expect(result.code, result.stderr).toBe(0);
    const story = await cli(['prospect', '--campaign', DEMO_CAMPAIGN, source]);
    expect(story.stdout).toContain('Café – contacted Müller');
    expect(story.stdout).not.toContain('\uFFFD');
  });

  it('refuses an empty file and one over the size cap in one line, before reading it', async () => {
    const empty = join(home.home, 'empty.csv');
    writeFileSync(empty, '');
    expect(await cli(['review', 'import', '--campaign', DEMO_CAMPAIGN, empty])).toMatchObject({
      code: 2,
      stderr: `linkgap: ${empty}: is empty: expected a header line with at least "source" and "state"; nothing was imported`,
    });
    const huge = join(home.home, 'huge.csv');
    writeFileSync(huge, 'source,state\n');
    truncateSync(huge, 50 * 1024 * 1024); // sparse: no 50 MB written
    expect(await cli(['review', 'import', '--campaign', DEMO_CAMPAIGN, huge])).toMatchObject({
      code: 2,
      stderr: `linkgap: ${huge} is 52428800 bytes (50 MB); a review queue file may be at most 20 MB`,
    });
  });
});
