/**
 * The snapshot writer's encoder: row groups given as columns (no object per row), strings handed to
 * hyparquet-writer as UTF-8 bytes or as strings, statistics computed by the encoder, and the footer of
 * an empty file. Bytes must not depend on which path wrote them, and must be those hyparquet-writer
 * writes left to itself (write-once puts compare them when a run resumes).
 */
import { ByteWriter, type ColumnSource, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { dateToEpochDays } from '#lake/columns.ts';
import { LakeEncodeError } from '#lake/errors.ts';
import {
  type ColumnSlice,
  decodeParquet,
  encodeParquet,
  encodeParquetColumnGroups,
  encodeParquetGroups,
  encodeParquetRows,
  PARQUET_CREATED_BY,
  type ParquetRowOf,
  parquetSchema,
  schemaOfColumns,
} from '#lake/parquet.ts';
import { type ChangeRow, type Column, LAKE_TABLES, type ProspectRow } from '#lake/schema.ts';
// mulberry32, seeded: a failing case can be replayed.
import { prng } from '#simulator/hash.ts';

const CHANGE_COLUMNS = LAKE_TABLES.changes.columns;

function aChangeRow(index: number, overrides: Partial<ChangeRow> = {}): ChangeRow {
  return {
    campaign_id: 'acme',
    run_id: 'run-2',
    run_date: '2026-02-01',
    source: `site-${index}.example/page`,
    change: index % 3 === 0 ? 'closed' : 'new',
    previous_domain_authority: index % 3 === 0 ? 40 + (index % 50) : null,
    current_domain_authority: index % 3 === 0 ? null : 30 + (index % 60),
    previous_matched_count: index % 3 === 0 ? 2 : null,
    current_matched_count: index % 3 === 0 ? null : 1,
    days_in_gap: index % 3 === 0 ? index % 90 : null,
    review_state: index % 7 === 0 ? 'approved' : 'to_review',
    ...overrides,
  };
}

function columnsOf(rows: readonly ChangeRow[]): ColumnSlice {
  return Object.fromEntries(
    CHANGE_COLUMNS.map((column) => [column.name, rows.map((row) => row[column.name])]),
  );
}

const concat = (chunks: Iterable<Uint8Array>) => new Uint8Array(Buffer.concat([...chunks]));
const rows = Array.from({ length: 3000 }, (_, index) => aChangeRow(index));

describe('encodeParquetColumnGroups', () => {
  it('writes the same bytes as the row path for the same values, every time', () => {
    const fromRows = concat(encodeParquetGroups(CHANGE_COLUMNS, [rows.slice(0, 1000), rows.slice(1000)]));
    const fromColumns = concat(
      encodeParquetColumnGroups(CHANGE_COLUMNS, [
        columnsOf(rows.slice(0, 1000)),
        columnsOf(rows.slice(1000)),
      ]),
    );
    expect(Buffer.from(fromColumns).equals(Buffer.from(fromRows))).toBe(true);
    const again = concat(
      encodeParquetColumnGroups(CHANGE_COLUMNS, [
        columnsOf(rows.slice(0, 1000)),
        columnsOf(rows.slice(1000)),
      ]),
    );
    expect(Buffer.from(again).equals(Buffer.from(fromColumns))).toBe(true);
  });

  it('writes what hyparquet-writer writes from JS strings (UTF-8 handed over as bytes changes nothing)', () => {
    expect(Buffer.from(encodeParquet('changes', rows)).equals(Buffer.from(fromStrings(rows, 100_000)))).toBe(
      true,
    );
  });

  it("keeps each row group's statistics its own when the next group is encoded (several groups, one file)", () => {
    // Column min/max are kept until the footer: bytes reused by a later group must not change them.
    const groups = [rows.slice(0, 1000), rows.slice(1000, 2000), rows.slice(2000)];
    const ours = concat(encodeParquetColumnGroups(CHANGE_COLUMNS, groups.map(columnsOf)));
    expect(Buffer.from(ours).equals(Buffer.from(fromStrings(rows, 1000)))).toBe(true);
  });
});

/** The file hyparquet-writer writes itself from the rows' JS values, `groupSize` rows per group. */
function fromStrings(values: readonly ChangeRow[], groupSize: number): Uint8Array {
  return writtenByHyparquet('changes', values, groupSize);
}

/**
 * The file hyparquet-writer writes by itself (its own statistics, strings encoded by it) from contract
 * rows, dates and the like converted as the lake converts them, `groupSize` rows per group.
 */
function writtenByHyparquet<T extends 'prospects' | 'changes'>(
  table: T,
  values: readonly ParquetRowOf<T>[],
  groupSize: number,
): Uint8Array {
  return writtenByTheWriter(
    parquetSchema(table),
    LAKE_TABLES[table].columns.map((column) => ({
      name: column.name,
      data: values.map((row) => {
        const value = (row as Record<string, unknown>)[column.name];
        return column.type === 'date' && typeof value === 'string' ? dateToEpochDays(value) : value;
      }),
    })),
    groupSize,
  );
}

/** The file hyparquet-writer writes by itself from `columnData`, with the lake's codec and created-by. */
function writtenByTheWriter(
  schema: SchemaElement[],
  columnData: ColumnSource[],
  rowGroupSize: number,
): Uint8Array {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, schema, codec: 'SNAPPY', createdBy: PARQUET_CREATED_BY });
  parquet.write({ columnData, rowGroupSize });
  parquet.finish();
  return writer.getBytes();
}

/** Prospect rows that exercise every path of the encoder: repeats, nulls, zeros, long and non-ASCII strings. */
function someProspects(count: number, seed: number, text: (random: () => number, index: number) => string) {
  const random = prng(seed);
  const pick = <V>(choices: readonly V[]): V => choices[Math.floor(random() * choices.length)] as V;
  return Array.from(
    { length: count },
    (_, index): ProspectRow => ({
      campaign_id: 'acme',
      run_id: pick(['run-2', 'run-3']),
      run_date: '2026-02-01',
      source: `${text(random, index)}-${index}`,
      source_root_domain: pick(['a.example', 'b.example', text(random, index)]),
      title: text(random, index),
      domain_authority: Math.floor(random() * 100),
      page_authority: random() < 0.3 ? null : Math.floor(random() * 100),
      spam_score: random() < 0.5 ? null : pick([0, 1, 17]),
      matched_targets: pick([[], ['x.example'], ['x.example', 'y.example']]),
      matched_count: pick([0, 1, 2]),
      score: pick([0, -0, 12.5, 99.9, Math.round(random() * 1000) / 10]),
      status: pick(['new', 'persisting', 'reopened']),
      first_seen_date: pick(['2026-01-01', '2026-02-01', '1999-12-31']),
      runs_seen: 1 + Math.floor(random() * 3),
      review_state: pick([null, 'to_review', 'approved']),
      category: pick([null, 'editorial']),
    }),
  );
}

const asciiText = (random: () => number, index: number) =>
  `site-${Math.floor(random() * 1e9).toString(36)}.example/${'p'.repeat(index % 5 === 0 ? 2600 : 3)}`;
const mixedText = (random: () => number, index: number) =>
  index % 3 === 0 ? `café-${Math.floor(random() * 50)}.example` : asciiText(random, index);

describe('encodeParquet against hyparquet-writer left to itself', () => {
  it.each([
    ['ASCII strings, pages over 1 MB, three row groups', 4500, 1, asciiText, 2000],
    ['non-ASCII strings in some columns, one row group', 1500, 2, mixedText, 100_000],
    ['a handful of rows', 5, 3, asciiText, 100_000],
  ])('writes the same bytes: %s', (_, count, seed, text, groupSize) => {
    const prospects = someProspects(count, seed, text);
    const groups = [];
    for (let start = 0; start < count; start += groupSize)
      groups.push(columnsOfProspects(prospects.slice(start, start + groupSize)));
    const ours = concat(encodeParquetColumnGroups(LAKE_TABLES.prospects.columns, groups, 'prospects'));
    expect(Buffer.from(ours).equals(Buffer.from(writtenByHyparquet('prospects', prospects, groupSize)))).toBe(
      true,
    );
  });
});

describe('string columns of distinct values, written as PLAIN pages from their bytes', () => {
  // Written by the encoder itself when hyparquet-writer's dictionary sampling would refuse the column;
  // a column the sampling keeps goes through the writer. Either way the bytes are the writer's own.
  const columns: Column[] = [
    { name: 'id', type: 'int', comment: 'test' },
    { name: 'distinct', type: 'string', comment: 'test' },
    { name: 'maybe', type: 'string', nullable: true, comment: 'test' },
    { name: 'half_repeated', type: 'string', comment: 'test' },
    // Equal to `distinct` value for value (as a root-domain campaign's source_root_domain is its source).
    { name: 'again', type: 'string', comment: 'test' },
  ];
  const written = (rows: readonly Record<string, unknown>[], groupSize: number) => {
    const groups = [];
    for (let start = 0; start < rows.length; start += groupSize)
      groups.push(
        Object.fromEntries(
          columns.map((column) => [
            column.name,
            rows.slice(start, start + groupSize).map((row) => row[column.name]),
          ]),
        ),
      );
    return concat(encodeParquetColumnGroups(columns, groups));
  };
  const byTheWriter = (rows: readonly Record<string, unknown>[], groupSize: number) =>
    writtenByTheWriter(
      schemaOfColumns(columns),
      columns.map((column) => ({ name: column.name, data: rows.map((row) => row[column.name]) })),
      groupSize,
    );
  const random = prng(7);
  const lone = ['\uD800', '\uDC00x', 'a\uDBFF'];
  const rowsOf = (count: number, text: (index: number) => string) =>
    Array.from({ length: count }, (_, index) => ({
      id: index,
      distinct: text(index),
      // Nulls among distinct values: definition levels on every page, nulls in the statistics.
      maybe: random() < 0.3 ? null : `${text(index)}#${index}`,
      // 60 % distinct short values, 40 % one long value: not "repeating" for the encoder, yet the
      // writer's sampling keeps it and its dictionary wins (the encoder must leave it to the writer).
      half_repeated: index % 5 < 2 ? 'r'.repeat(200) : `v${index}`,
      again: text(index),
    }));

  it.each([
    [
      'ASCII, pages over 1 MB, two row groups',
      3000,
      (index: number) => `s${index}-${'x'.repeat(index % 4 === 0 ? 3000 : 5)}`,
      2000,
    ],
    [
      'non-ASCII and lone surrogates (written as U+FFFD)',
      2000,
      (index: number) => (index % 5 === 0 ? `${lone[index % 3]}-${index}` : `é${index}`),
      100_000,
    ],
    ['a single row', 1, (index: number) => `only-${index}`, 100_000],
  ])('writes the bytes the writer writes from strings: %s', (_, count, text, groupSize) => {
    const rows = rowsOf(count, text);
    expect(Buffer.from(written(rows, groupSize)).equals(Buffer.from(byTheWriter(rows, groupSize)))).toBe(
      true,
    );
  });

  it('writes a nullable column equal to a required one with its own pages (definition levels)', () => {
    const rows = rowsOf(3000, (index) => `d${index}-${'y'.repeat(index % 3 === 0 ? 900 : 2)}`).map((row) => ({
      ...row,
      maybe: row.distinct,
    }));
    expect(Buffer.from(written(rows, 1000)).equals(Buffer.from(byTheWriter(rows, 1000)))).toBe(true);
  });

  it('writes an all-null optional column of distinct-looking values as the writer does', () => {
    const rows = rowsOf(500, (index) => `n${index}`).map((row) => ({ ...row, maybe: null }));
    expect(Buffer.from(written(rows, 100_000)).equals(Buffer.from(byTheWriter(rows, 100_000)))).toBe(true);
  });
});

describe("list columns, levelled by the encoder (not the writer's Dremel walk)", () => {
  const lists = [['a'], [], ['b', 'c'], ['é', 'a', 'zz'], ['c', 'b'], ['x']];
  it.each([
    ['a nullable list (null and empty lists)', true],
    ['a required list', false],
  ])('writes the bytes the writer writes: %s', (_, nullable) => {
    const columns: Column[] = [
      { name: 'id', type: 'int', comment: 'test' },
      { name: 'tags', type: 'array<string>', nullable, comment: 'test' },
    ];
    const random = prng(11);
    const tags = Array.from({ length: 5000 }, () => {
      const pick = Math.floor(random() * (lists.length + 1));
      return pick === lists.length ? (nullable ? null : []) : lists[pick];
    });
    const rows = tags.map((tag, id) => ({ id, tags: tag }));
    const ours = concat(
      encodeParquetColumnGroups(
        columns,
        [rows.slice(0, 3000), rows.slice(3000)].map((group) => ({
          id: group.map((row) => row.id),
          tags: group.map((row) => row.tags),
        })),
      ),
    );
    const theirs = writtenByTheWriter(
      schemaOfColumns(columns),
      [
        { name: 'id', data: rows.map((row) => row.id) },
        { name: 'tags', data: rows.map((row) => row.tags) },
      ],
      3000,
    );
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });
});

describe("a string column given as UTF-8 (the gap list's titles)", () => {
  const utf8Of = (texts: readonly string[]) => {
    const encoded = texts.map((text) => Buffer.from(text, 'utf8'));
    let end = 0;
    return {
      bytes: new Uint8Array(Buffer.concat(encoded)),
      ends: Uint32Array.from(encoded, (bytes) => (end += bytes.length)),
    };
  };
  const prospectsFile = (prospects: readonly ProspectRow[], titles: 'strings' | 'utf8') => {
    const slice = columnsOfProspects(prospects);
    const title = titles === 'utf8' ? utf8Of(prospects.map((row) => row.title)) : slice.title;
    return concat(
      encodeParquetColumnGroups(LAKE_TABLES.prospects.columns, [{ ...slice, title } as ColumnSlice]),
    );
  };

  it.each([
    ['distinct ASCII titles (PLAIN from the bytes)', asciiText],
    [
      'distinct titles, some non-ASCII or starting with a BOM',
      (random: () => number, index: number) =>
        index % 4 === 0 ? `\uFEFFé ${mixedText(random, index)}` : mixedText(random, index),
    ],
    [
      'repeating titles (decoded, then dictionary-encoded by the writer)',
      (_: () => number, index: number) => ['Home', 'À propos', ''][index % 3] as string,
    ],
  ])('writes the bytes of the same titles given as strings: %s', (_, text) => {
    const prospects = someProspects(1200, 5, text);
    expect(
      Buffer.from(prospectsFile(prospects, 'utf8')).equals(Buffer.from(prospectsFile(prospects, 'strings'))),
    ).toBe(true);
  });

  it('refuses UTF-8 that is malformed, splits a character, has nulls, or is given for another type', () => {
    const prospects = someProspects(3, 6, asciiText);
    const slice = columnsOfProspects(prospects);
    const good = utf8Of(['ab', 'é', 'c']);
    const encode = (changes: Record<string, unknown>) => () =>
      concat(
        encodeParquetColumnGroups(LAKE_TABLES.prospects.columns, [{ ...slice, ...changes } as ColumnSlice]),
      );
    expect(encode({ title: good })).not.toThrow();
    for (const bad of [
      { bytes: good.bytes, ends: Uint32Array.from([2, 3, 4]) }, // splits é
      { bytes: good.bytes, ends: Uint32Array.from([2, 1, 5]) }, // an end before the one before it
      { bytes: good.bytes, ends: Uint32Array.from([2, 4, 9]) }, // past the bytes
      { bytes: Uint8Array.from([0x61, 0xff, 0x62]), ends: Uint32Array.from([1, 2, 3]) }, // not UTF-8
      { ...good, values: ['ab', null, 'c'] },
    ])
      expect(encode({ title: bad })).toThrow(LakeEncodeError);
    expect(encode({ status: utf8Of(['new', 'new', 'new']), title: slice.title })).not.toThrow();
    expect(encode({ domain_authority: utf8Of(['1', '2', '3']) })).toThrow(/given as UTF-8/);
  });
});

function columnsOfProspects(rows: readonly ProspectRow[]): ColumnSlice {
  return Object.fromEntries(
    LAKE_TABLES.prospects.columns.map((column) => [column.name, rows.map((row) => row[column.name])]),
  );
}

describe('encodeParquetColumnGroups, continued', () => {
  it('round-trips non-ASCII strings, a repeated one included, with the same bytes every time', async () => {
    const text = ['café.example', '日本語.example/ページ', 'emoji-🦀.example', 'café.example'];
    const unicode = text.map((source, index) => aChangeRow(index, { source }));
    const bytes = concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [columnsOf(unicode)]));
    expect(await decodeParquet('changes', bytes)).toEqual(unicode);
    expect(concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [columnsOf(unicode)]))).toEqual(bytes);
  });

  it('refuses a value outside the contract with the row number across groups, in zod words', () => {
    const bad = columnsOf([aChangeRow(0), aChangeRow(1, { days_in_gap: 1.5 })]);
    expect(() =>
      concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [columnsOf(rows.slice(0, 5)), bad], 'changes')),
    ).toThrow(
      new LakeEncodeError(
        'changes row 6 does not fit the lake contract: days_in_gap: Invalid input: expected int, received number',
      ),
    );
  });

  it('refuses a slice with a missing or short column', () => {
    const { review_state: _, ...missing } = columnsOf(rows.slice(0, 2));
    expect(() => concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [missing], 'changes'))).toThrow(
      /changes: column review_state is missing or not 2 values long/,
    );
    const short = { ...columnsOf(rows.slice(0, 2)), source: ['one.example'] };
    expect(() => concat(encodeParquetColumnGroups(CHANGE_COLUMNS, [short], 'changes'))).toThrow(
      /column source is missing or not 2 values long/,
    );
  });
});

describe('a file with no rows', () => {
  it('is read by Arrow (Rust parquet) as well as hyparquet, with the same bytes every time', async () => {
    const bytes = encodeParquet('changes', []);
    expect(() => readParquet(bytes)).not.toThrow();
    expect(await decodeParquet('changes', bytes)).toEqual([]);
    expect(concat(encodeParquetColumnGroups(CHANGE_COLUMNS, []))).toEqual(bytes);
    expect(encodeParquet('changes', [])).toEqual(bytes);
  });

  it('leaves files with rows alone', () => {
    const bytes = encodeParquet('changes', rows.slice(0, 3));
    expect(() => readParquet(bytes)).not.toThrow();
  });
});

describe('decodeParquet', () => {
  it('refuses a row whose value does not fit the contract, with its row number, in zod words', async () => {
    // days_in_gap written as a double column, so the file can hold a value the contract's int refuses.
    const asDouble = CHANGE_COLUMNS.map((column) =>
      column.name === 'days_in_gap' ? { ...column, type: 'double' as const } : column,
    );
    const bytes = encodeParquetRows(asDouble, [aChangeRow(3), aChangeRow(6, { days_in_gap: 1.5 })]);
    await expect(decodeParquet('changes', bytes)).rejects.toThrow(
      'changes row 1 does not fit the lake contract: days_in_gap: Invalid input: expected int, received number',
    );
  });
});
