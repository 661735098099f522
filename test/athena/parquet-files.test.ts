/**
 * The lake's Parquet files read by a reader independent of DuckDB and hyparquet: Arrow's Rust
 * `parquet` crate through parquet-wasm. Its view of every file's schema must match the Glue columns
 * of the synthesized stack (types, 3-level list layout, DATE), the contract's nullability, and the
 * rows written. The footer is pinned to what Athena's engine is known to read:
 *
 * - Snappy compression.
 * - DATA_PAGE_V2 data pages. hyparquet-writer (0.17) writes only V2 pages, with no option for V1.
 *   Athena engine 3 is built on Trino, whose Parquet reader decompresses and decodes both page
 *   versions (trinodb/trino lib/trino-parquet/src/main/java/io/trino/parquet/reader/PageReader.java:
 *   `DataPageV1` and `DataPageV2` branches, honouring `is_compressed`). Reading one file in a real
 *   Athena workgroup stays on the README's checklist.
 * - PLAIN, RLE_DICTIONARY and RLE (booleans) encodings, all read by Trino's reader.
 *
 * A file with no rows (a baseline's changes, an empty gap) has an empty `row_groups` list, which
 * hyparquet-writer's Thrift encoder heads with element type 0 instead of STRUCT; Arrow's Rust reader
 * refuses that ("Expected list element type of Struct"), so the lake's encoder rewrites that one
 * header byte (shared/lake/parquet.ts, withStructRowGroupList) and Arrow reads the file below.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Field, type Table, tableFromIPC } from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import { readParquet } from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLakeKey } from '#lake/keys.ts';
import { LAKE_TABLES } from '#lake/schema.ts';
import { FIXTURE_RUNS, writeFixtureLake } from './fixture-lake.ts';
import { type GlueTable, queryableColumns, synthesizedGlueTables } from './support.ts';

/** How Arrow names the type it reads for each Glue type of the lake. */
const ARROW_TYPE_OF_GLUE: Record<string, string> = {
  string: 'Utf8',
  int: 'Int32',
  bigint: 'Int64',
  double: 'Float64',
  boolean: 'Bool',
  date: 'Date32<DAY>',
  timestamp: 'Timestamp<MILLISECOND>',
  'array<string>': 'List<Utf8>',
};

const READABLE_ENCODINGS = new Set(['PLAIN', 'RLE_DICTIONARY', 'RLE']);
const READABLE_PAGE_TYPES = new Set(['DATA_PAGE_V2', 'DICTIONARY_PAGE']);

let root: string;
/** Non-empty Parquet files; emptyKeys holds the files with no rows. */
let keys: string[];
let emptyKeys: string[];
let glue: Record<string, GlueTable>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'linkgap-athena-parquet-'));
  const parquetKeys = writeFixtureLake(root).filter((key) => key.endsWith('.parquet'));
  keys = parquetKeys.filter((key) => lakeFile(key).rows.length > 0);
  emptyKeys = parquetKeys.filter((key) => lakeFile(key).rows.length === 0);
  glue = synthesizedGlueTables();
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

interface LakeFile {
  table: 'prospects' | 'changes';
  bytes: Uint8Array;
  rows: object[];
}

function lakeFile(key: string): LakeFile {
  const parts = parseLakeKey(key);
  if (parts === undefined || (parts.table !== 'prospects' && parts.table !== 'changes'))
    throw new Error(`not a Parquet lake key: ${key}`);
  const run = FIXTURE_RUNS.find((candidate) => candidate.runId === parts.runId);
  if (run === undefined) throw new Error(`no fixture run for ${key}`);
  const table = parts.table;
  return {
    table,
    bytes: readFileSync(join(root, ...key.split('/'))),
    rows: table === 'prospects' ? run.prospects : run.changes,
  };
}

const arrowRead = (bytes: Uint8Array): Table => tableFromIPC(readParquet(bytes).intoIPCStream());

/** An Arrow value as the contract writes it: DATE as 'YYYY-MM-DD', lists as arrays. */
function contractValue(field: Field, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (String(field.type) === 'Date32<DAY>') return new Date(value as number).toISOString().slice(0, 10);
  if (String(field.type).startsWith('List')) return [...(value as Iterable<unknown>)];
  return value;
}

describe('every Parquet file of the lake, read by Arrow (Rust parquet via parquet-wasm)', () => {
  it('covers both Parquet tables', () => {
    expect(new Set(keys.map((key) => parseLakeKey(key)?.table))).toEqual(new Set(['prospects', 'changes']));
  });

  it('reads a file with no rows: the Glue columns and types, zero rows (its empty row_groups list headed as structs)', () => {
    expect(emptyKeys.length).toBeGreaterThan(0);
    for (const key of emptyKeys) {
      const file = lakeFile(key);
      const table = arrowRead(file.bytes);
      expect(table.numRows, key).toBe(0);
      expect(
        table.schema.fields.map((field) => [field.name, String(field.type)]).sort(),
        `${key}: Arrow's schema vs the Glue table ${file.table}`,
      ).toEqual(
        queryableColumns(glue[file.table] as GlueTable)
          .map((column) => [column.name, ARROW_TYPE_OF_GLUE[column.type] ?? column.type])
          .sort(),
      );
      expect(parquetMetadata(file.bytes).row_groups, key).toEqual([]);
    }
  });

  it('reads each file with the Glue column names and types', () => {
    for (const key of keys) {
      const file = lakeFile(key);
      const fields = arrowRead(file.bytes).schema.fields;
      const expected = queryableColumns(glue[file.table] as GlueTable);
      expect(
        fields.map((field) => [field.name, String(field.type)]).sort(),
        `${key}: Arrow's schema vs the Glue table ${file.table}`,
      ).toEqual(
        expected.map((column) => [column.name, ARROW_TYPE_OF_GLUE[column.type] ?? column.type]).sort(),
      );
    }
  });

  it('lays lists out in the standard 3-level form Hive reads: <name> (LIST) { repeated list { element } }', () => {
    for (const key of keys) {
      for (const field of arrowRead(lakeFile(key).bytes).schema.fields) {
        if (!String(field.type).startsWith('List')) continue;
        const element = field.type.children[0] as Field;
        expect([element.name, String(element.type), element.nullable], key).toEqual([
          'element',
          'Utf8',
          true,
        ]);
      }
    }
  });

  it("marks nullable exactly the contract's nullable columns (Glue tables carry no nullability)", () => {
    for (const key of keys) {
      const file = lakeFile(key);
      const nullable = arrowRead(file.bytes)
        .schema.fields.filter((field) => field.nullable)
        .map((field) => field.name);
      const contract = LAKE_TABLES[file.table].columns
        .filter((column) => 'nullable' in column && column.nullable === true)
        .map((column) => column.name);
      expect(nullable, key).toEqual(contract);
    }
  });

  it('reads back the rows written, value for value', () => {
    for (const key of keys) {
      const file = lakeFile(key);
      const table = arrowRead(file.bytes);
      const rows = table
        .toArray()
        .map((row: Record<string, unknown>) =>
          Object.fromEntries(
            table.schema.fields.map((field) => [field.name, contractValue(field, row[field.name])]),
          ),
        );
      expect(rows, key).toEqual(file.rows);
    }
  });

  it('holds DATE as INT32 with the DATE logical type, Snappy chunks, and only page types and encodings Trino reads', () => {
    for (const key of keys) {
      const bytes = lakeFile(key).bytes;
      const metadata = parquetMetadata(bytes);
      for (const element of metadata.schema) {
        if (element.name === 'first_seen_date') {
          expect([element.type, element.logical_type?.type], key).toEqual(['INT32', 'DATE']);
        }
      }
      for (const chunk of metadata.row_groups.flatMap((group) => group.columns)) {
        const meta = chunk.meta_data;
        const column = meta?.path_in_schema.join('.');
        expect(meta?.codec, `${key} ${column}`).toBe('SNAPPY');
        for (const encoding of meta?.encodings ?? [])
          expect(READABLE_ENCODINGS.has(encoding), `${key} ${column} encoding ${encoding}`).toBe(true);
        for (const stats of meta?.encoding_stats ?? [])
          expect(READABLE_PAGE_TYPES.has(stats.page_type), `${key} ${column} page ${stats.page_type}`).toBe(
            true,
          );
      }
    }
  });
});
