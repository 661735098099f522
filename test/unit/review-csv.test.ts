/**
 * The queue CSV import (cli/review-csv.ts) on the files spreadsheets and CRMs really save: what the
 * export guarded comes back unguarded, ambiguous headers and empty files are refused, `;`-separated
 * and UTF-16 "Unicode text" files read like the export, and a source matches with its host in any case.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sourceMatchKey } from '#domain/review.ts';
import type { ProspectRow } from '#lake/schema.ts';
import { decodeQueueFile, parseQueueCsv, QueueImportError, queueCsv } from '../../cli/review-csv.ts';

const LISTED = ['blog.example', 'bluemarket.net/Links', '=HYPERLINK("http://x.example")', '-minus.example'];
const byKey = new Map(LISTED.map((source) => [sourceMatchKey(source), source]));
/** The review queue's matcher, as cli/review-queue.ts builds it. */
const prospectSource = (typed: string) => byKey.get(sourceMatchKey(typed));

const problemOf = (text: string): string => {
  try {
    parseQueueCsv('q.csv', text, prospectSource);
  } catch (error) {
    if (error instanceof QueueImportError) return error.message;
    throw error;
  }
  throw new Error('expected a QueueImportError');
};

describe('parseQueueCsv', () => {
  it('imports an unchanged export: every cell the export guarded is unguarded, the source too', () => {
    const rows = LISTED.map((source) => ({
      prospect: { source, title: '' } as unknown as ProspectRow,
      review: undefined,
    }));
    const exported = queueCsv(rows);
    expect(exported).toContain(`"'=HYPERLINK(""http://x.example"")"`);
    const requests = parseQueueCsv('q.csv', exported, prospectSource);
    expect(requests.map((request) => request.source)).toEqual(LISTED);
  });

  it('refuses a header with a column linkgap reads twice in any case, naming both', () => {
    const message = problemOf('source,state,note,State\r\nblog.example,approved,,rejected\r\n');
    expect(message).toBe(
      'q.csv: has two columns named "state" ("state" and "State"): delete or rename one; nothing was imported',
    );
    // A column linkgap does not read may appear twice: it is not ambiguous for the import.
    expect(
      parseQueueCsv('q.csv', 'source,state,Owner,owner\nblog.example,approved,a,b\n', prospectSource),
    ).toEqual([{ source: 'blog.example', edit: { state: 'approved' } }]);
  });

  it('refuses an empty file, and a file of blank lines, in one line', () => {
    for (const text of ['', '\uFEFF', '\r\n\r\n'])
      expect(problemOf(text)).toBe(
        'q.csv: is empty: expected a header line with at least "source" and "state"; nothing was imported',
      );
  });

  it('reads a ;-separated file (European Excel) and a tab-separated one', () => {
    const expected = [
      { source: 'blog.example', edit: { state: 'approved', note: 'ok, mailed' } },
      { source: 'bluemarket.net/Links', edit: { state: 'rejected', note: 'no' } },
    ];
    expect(
      parseQueueCsv(
        'q.csv',
        '\uFEFFsource;state;note\r\nblog.example;Approved;ok, mailed\r\nbluemarket.net/Links;rejected;no\r\n',
        prospectSource,
      ),
    ).toEqual(expected);
    expect(
      parseQueueCsv(
        'q.csv',
        'source\tstate\tnote\r\nblog.example\tApproved\t"ok, mailed"\r\nbluemarket.net/Links\trejected\tno\r\n',
        prospectSource,
      ),
    ).toEqual(expected);
  });

  it('matches a source with its host in any case, keeps the path case, and names a real non-prospect', () => {
    expect(
      parseQueueCsv(
        'q.csv',
        'source,state\nBLOG.Example,approved\nBlueMarket.NET/Links,won\n',
        prospectSource,
      ),
    ).toEqual([
      { source: 'blog.example', edit: { state: 'approved' } },
      { source: 'bluemarket.net/Links', edit: { state: 'won' } },
    ]);
    expect(problemOf('source,state\nbluemarket.net/links,won\n')).toMatch(
      /^q\.csv: line 2, column source: bluemarket\.net\/links is not a prospect of this campaign;/,
    );
    expect(problemOf('source,state\nblog.example,won\nBLOG.EXAMPLE,rejected\n')).toMatch(
      /line 3, column source: BLOG\.EXAMPLE is also on line 2/,
    );
  });

  it('refuses a row longer than the cap csv-parse holds (a 50 MB cell is not a review)', () => {
    expect(problemOf(`source,state,note\nblog.example,approved,"${'x'.repeat(300_000)}"\n`)).toMatch(
      /^q\.csv: not a readable CSV: .*Max Record Size.*; nothing was imported$/,
    );
  });
});

describe('decodeQueueFile', () => {
  const text = 'source\tstate\r\nblog.example\tapproved\r\n';
  it('decodes UTF-8 with or without a BOM, and UTF-16 LE and BE by their BOM', () => {
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const utf16be = Buffer.from(utf16le);
    utf16be.swap16();
    for (const bytes of [Buffer.from(text), Buffer.from(`\uFEFF${text}`), utf16le, utf16be])
      expect(decodeQueueFile(new Uint8Array(bytes))).toBe(text);
  });
});

describe('decodeQueueFile on a file that is not UTF-8', () => {
  it('reads Windows-1252 (Excel\'s plain "CSV" on Windows), the 0x80-0x9F punctuation too', () => {
    // Café – contacted Müller, “quoted” €5 … as Excel writes it in cp1252, ';'-separated.
    const bytes = Buffer.concat([
      Buffer.from('source;state;note\r\nblog.example;contacted;Caf'),
      Buffer.from([0xe9, 0x20, 0x96]),
      Buffer.from(' contacted M'),
      Buffer.from([0xfc]),
      Buffer.from('ller, '),
      Buffer.from([0x93]),
      Buffer.from('quoted'),
      Buffer.from([0x94, 0x20, 0x80]),
      Buffer.from('5 '),
      Buffer.from([0x85, 0x0d, 0x0a]),
    ]);
    const text = decodeQueueFile(new Uint8Array(bytes));
    expect(text).toBe(
      'source;state;note\r\nblog.example;contacted;Café – contacted Müller, “quoted” €5 …\r\n',
    );
    expect(parseQueueCsv('q.csv', text, prospectSource)).toEqual([
      {
        source: 'blog.example',
        edit: { state: 'contacted', note: 'Café – contacted Müller, “quoted” €5 …' },
      },
    ]);
  });

  it('keeps valid UTF-8 as UTF-8: one invalid byte sends the whole file to Windows-1252', () => {
    expect(decodeQueueFile(new Uint8Array(Buffer.from('note\r\nCafé – Müller\r\n')))).toBe(
      'note\r\nCafé – Müller\r\n',
    );
    // Every byte 0x00-0xFF has a character in Windows-1252 (the five unassigned ones as C1 controls,
    // as the WHATWG Encoding Standard maps them): no replacement character is ever made.
    const everyByte = new Uint8Array(256).map((_, index) => index);
    const decoded = decodeQueueFile(everyByte);
    expect(decoded).not.toContain('\uFFFD');
    expect([...decoded]).toHaveLength(256);
  });
});

describe('export guard and import unguard', () => {
  const exportedNote = (note: string) =>
    queueCsv([
      {
        prospect: { source: 'blog.example', title: '' } as unknown as ProspectRow,
        review: {
          state: 'contacted',
          category: null,
          note,
          version: 3,
          updatedAt: '2026-01-01T00:00:00Z',
        } as never,
      },
    ]);
  const reimported = (note: string) =>
    parseQueueCsv('q.csv', exportedNote(note), prospectSource)[0]?.edit.note;

  it('gives back a note that starts with an apostrophe and a formula character as it was', () => {
    for (const note of ["'-) wink", "'@dana mailed", "'+1", "'=A1", "''", "'", "''=x", '-) wink', "'plain"])
      expect(reimported(note)).toBe(note);
  });

  it('re-imports every note unchanged (the line ends a spreadsheet may rewrite aside)', () => {
    // A lone CR is read as a line end, as every spreadsheet does: notes are compared with that applied.
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc
            .tuple(fc.constantFrom("'", "''", '=', '+', '-', '@', '\t', '\r', '\u0000', "'\t"), fc.string())
            .map(([start, rest]) => start + rest),
        ),
        (note) => {
          expect(reimported(note)).toBe(note.replace(/\r\n?/g, '\n'));
        },
      ),
      { numRuns: 500 },
    );
  });
});
