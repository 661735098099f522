import { describe, expect, it } from 'vitest';
import { CSV_BOM, guardFormula, toCsv, toJsonLines } from '#lake/csv.ts';
import { type Column, PROSPECT_COLUMNS } from '#lake/schema.ts';

const columns: readonly Column[] = [
  { name: 'source', type: 'string', comment: '' },
  { name: 'matched_targets', type: 'array<string>', comment: '' },
  { name: 'score', type: 'double', nullable: true, comment: '' },
];

/** The data lines of a CSV, without the BOM and the header. */
function body(csv: string): string[] {
  return csv.slice(CSV_BOM.length).split('\r\n').slice(1, -1);
}

describe('toCsv', () => {
  it('starts with a UTF-8 BOM and a header row, and ends every line with CRLF', () => {
    const csv = toCsv(columns, [{ source: 'a.example', matched_targets: [], score: 1.5 }]);
    expect(csv.startsWith('\uFEFFsource,matched_targets,score\r\n')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(new TextEncoder().encode(csv).subarray(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
  });

  it('writes only the header for no rows', () => {
    expect(toCsv(columns, [])).toBe('\uFEFFsource,matched_targets,score\r\n');
  });

  it('uses the columns in their order and ignores other keys', () => {
    expect(body(toCsv(columns, [{ score: 2, extra: 'x', source: 's', matched_targets: ['t'] }]))).toEqual([
      's,t,2',
    ]);
  });

  it.each([
    ['a plain value', 'blog.example', 'blog.example'],
    ['a comma', 'a, b', '"a, b"'],
    ['a quote', 'say "hi"', '"say ""hi"""'],
    ['a line feed', 'line\nbreak', '"line\nbreak"'],
    ['a carriage return', 'line\r\nbreak', '"line\r\nbreak"'],
    ['unicode', 'Über Läufer — 跑步 🏃', 'Über Läufer — 跑步 🏃'],
    ['a punycode source', 'xn--mnchen-3ya.example/blog', 'xn--mnchen-3ya.example/blog'],
    ['an empty string', '', ''],
  ])('quotes by RFC 4180: %s', (_what, source, cell) => {
    expect(toCsv(columns, [{ source, matched_targets: [], score: null }])).toBe(
      `\uFEFFsource,matched_targets,score\r\n${cell},,\r\n`,
    );
  });

  it.each([
    ['an empty array', [], ''],
    ['one target', ['rival-a.example'], 'rival-a.example'],
    ['several targets', ['rival-a.example', 'rival-b.example'], 'rival-a.example; rival-b.example'],
    ['a target with a comma', ['a,b', 'c'], '"a,b; c"'],
  ])('flattens arrays into one cell: %s', (_what, matched_targets, cell) => {
    expect(body(toCsv(columns, [{ source: 's', matched_targets, score: 1 }]))).toEqual([`s,${cell},1`]);
  });

  it('writes null and undefined as empty cells, numbers and booleans as text', () => {
    const cols: readonly Column[] = [
      { name: 'a', type: 'int', nullable: true, comment: '' },
      { name: 'b', type: 'double', nullable: true, comment: '' },
      { name: 'c', type: 'boolean', comment: '' },
      { name: 'd', type: 'bigint', comment: '' },
    ];
    expect(
      body(
        toCsv(cols, [
          { a: null, c: false, d: 12n },
          { a: -3, b: 0.25, c: true, d: 7 },
        ]),
      ),
    ).toEqual([',,false,12', '-3,0.25,true,7']);
  });

  it.each([
    ['=HYPERLINK("http://evil.example","click")', `"'=HYPERLINK(""http://evil.example"",""click"")"`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', "'\t=1"],
    ['a=1', 'a=1'],
  ])('guards formula injection in text: %s', (title, cell) => {
    expect(body(toCsv(columns, [{ source: title, matched_targets: [], score: null }]))).toEqual([
      `${cell},,`,
    ]);
  });

  it('guards an array cell by its first character', () => {
    expect(body(toCsv(columns, [{ source: 's', matched_targets: ['=cmd', 'x'], score: 1 }]))).toEqual([
      "s,'=cmd; x,1",
    ]);
  });

  it('writes negative numbers as numbers, not guarded text', () => {
    expect(body(toCsv(columns, [{ source: 's', matched_targets: [], score: -1.5 }]))).toEqual(['s,,-1.5']);
  });

  it('has a header cell per contract column', () => {
    const header = toCsv(PROSPECT_COLUMNS, []).slice(CSV_BOM.length).split('\r\n')[0];
    expect(header?.split(',')).toEqual(PROSPECT_COLUMNS.map((column) => column.name));
  });

  it('guardFormula leaves safe text alone', () => {
    expect(guardFormula('acme.example')).toBe('acme.example');
    expect(guardFormula('=1')).toBe("'=1");
  });
});

describe('toJsonLines', () => {
  it('writes one object per line with a trailing newline', () => {
    expect(
      toJsonLines([
        { a: 1, b: ['x'] },
        { a: null, b: [] },
      ]),
    ).toBe('{"a":1,"b":["x"]}\n{"a":null,"b":[]}\n');
  });

  it('writes nothing for no rows', () => {
    expect(toJsonLines([])).toBe('');
  });

  it('keeps unicode and escapes line breaks inside values', () => {
    const lines = toJsonLines([{ title: 'Zürich\nlauf' }]);
    expect(lines.split('\n')).toHaveLength(2);
    expect(JSON.parse(lines.trim())).toEqual({ title: 'Zürich\nlauf' });
  });

  it('writes bigint as a number', () => {
    expect(toJsonLines([{ n: 5n }])).toBe('{"n":5}\n');
  });
});

describe('guardFormula and leading NUL', () => {
  it.each(['\u0000=cmd|calc', '\u0000+1', '\u0000'])('guards a cell that starts with NUL (%j)', (text) => {
    expect(guardFormula(text)).toBe(`'${text}`);
  });
});
