/**
 * Parquet snapshots of the prospects and changes tables, written with an explicit schema built from
 * the lake contract (schema.ts) so Athena's Hive Parquet SerDe, DuckDB and hyparquet all read the
 * same types. Output is deterministic: identical rows give identical bytes (no clock in metadata).
 */
import { parquetReadObjects } from 'hyparquet';
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import {
  dateToEpochDays,
  describeIssues,
  epochDaysToDate,
  firstMisfit,
  fitsColumnType,
  rowSchemaOf,
  utcDate,
} from './columns.ts';
import { LakeDecodeError, LakeEncodeError } from './errors.ts';
import { type ColumnData, columnDataOf } from './parquet-column-data.ts';
import { isUtf8Strings, stringsOf, type Utf8Strings, utf8StringsFit } from './parquet-plain-bytes.ts';
import { writeRowGroup } from './parquet-row-group.ts';
import { type ChangeRow, type Column, LAKE_TABLES, type ProspectRow } from './schema.ts';
import { snappyCompress } from './snappy.ts';

export type ParquetTableName = 'prospects' | 'changes';
export type ParquetRowOf<T extends ParquetTableName> = T extends 'prospects' ? ProspectRow : ChangeRow;

/** Written into every file's `created_by`; constant so bytes do not depend on who wrote them. */
export const PARQUET_CREATED_BY = 'linkgap';
/** One row group per file in practice (a run is capped well below this). */
export const ROW_GROUP_SIZE = 100_000;

const STRING_ELEMENT = {
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
} as const;

/** The schema elements of one column: one leaf, or the standard 3-level LIST group for array<string>. */
export function parquetSchemaOf(column: Column): SchemaElement[] {
  const repetition_type = column.nullable === true ? 'OPTIONAL' : 'REQUIRED';
  const name = column.name;
  switch (column.type) {
    case 'string':
      return [{ name, repetition_type, ...STRING_ELEMENT }];
    case 'int':
      return [{ name, repetition_type, type: 'INT32' }];
    case 'bigint':
      return [{ name, repetition_type, type: 'INT64' }];
    case 'double':
      return [{ name, repetition_type, type: 'DOUBLE' }];
    case 'boolean':
      return [{ name, repetition_type, type: 'BOOLEAN' }];
    case 'date':
      return [
        { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } },
      ];
    case 'timestamp':
      // Converted type only: a TIMESTAMP logical type with isAdjustedToUTC makes DuckDB read
      // TIMESTAMP WITH TIME ZONE; TIMESTAMP_MILLIS alone is UTC by definition and reads as TIMESTAMP.
      return [{ name, repetition_type, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }];
    case 'array<string>':
      // <name> (LIST) { repeated group list { optional binary element (STRING) } }
      return [
        { name, repetition_type, converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', ...STRING_ELEMENT },
      ];
  }
}

/** The full file schema of a table: the root element, then every contract column in order. */
export function parquetSchema(table: ParquetTableName): SchemaElement[] {
  return schemaOfColumns(LAKE_TABLES[table].columns);
}

/** The file schema of any contract-style column list (parquetSchema's engine; also used by tests). */
export function schemaOfColumns(columns: readonly Column[]): SchemaElement[] {
  return [{ name: 'schema', num_children: columns.length }, ...columns.flatMap(parquetSchemaOf)];
}

function toParquetValue(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'date':
      return dateToEpochDays(value as string);
    case 'timestamp':
      return BigInt(Date.parse(value as string));
    case 'bigint':
      return BigInt(value as number);
    default:
      return value;
  }
}

/** Encode rows of the prospects or changes table as one Snappy-compressed Parquet file. */
export function encodeParquet<T extends ParquetTableName>(
  table: T,
  rows: readonly ParquetRowOf<T>[],
): Uint8Array {
  return encodeParquetRows(LAKE_TABLES[table].columns, rows, table);
}

/** The Parquet file of any contract-style column list (encodeParquet's engine; also used by tests). */
export function encodeParquetRows(
  columns: readonly Column[],
  rows: readonly object[],
  label = 'parquet',
): Uint8Array {
  const groups = function* () {
    for (let start = 0; start < rows.length; start += ROW_GROUP_SIZE)
      yield rows.slice(start, start + ROW_GROUP_SIZE);
  };
  return new Uint8Array(Buffer.concat([...encodeParquetGroups(columns, groups(), label)]));
}

/**
 * A Parquet file written a row group at a time: each group of rows (at most ROW_GROUP_SIZE) is checked,
 * encoded and handed out as bytes before the next is asked for, then the footer. Same bytes as the
 * whole file written at once (groups of ROW_GROUP_SIZE rows) and as encodeParquetColumnGroups given the
 * same values; an empty file has the footer only.
 */
export function encodeParquetGroups(
  columns: readonly Column[],
  groups: Iterable<readonly object[]>,
  label = 'parquet',
): Generator<Uint8Array> {
  return writeGroups(columns, groups, label, (rows) => rows.length, checkedColumnValues);
}

/**
 * One row group as one array per column, keyed by the contract's column names. A string column with no
 * null may come as its UTF-8 bytes instead (Utf8Strings without `values`: no JS string per value).
 */
export type ColumnSlice = Readonly<Record<string, readonly unknown[] | Utf8Strings>>;

/** The column's values or its UTF-8, as given; and the number of values either way. */
type GivenColumn = unknown[] | Utf8Strings;
const lengthOfColumn = (given: readonly unknown[] | Utf8Strings | undefined) =>
  given === undefined ? undefined : isUtf8Strings(given) ? given.ends.length : given.length;
/** A slice's column as an array of values (UTF-8 decoded). */
export const columnValues = (given: readonly unknown[] | Utf8Strings | undefined): readonly unknown[] =>
  given === undefined ? [] : isUtf8Strings(given) ? stringsOf(given) : given;

/**
 * encodeParquetGroups for row groups given as columns (the snapshot writer's path: no object per row).
 * Every column of the contract must be there, all of one length; values are checked as for rows.
 */
export function encodeParquetColumnGroups(
  columns: readonly Column[],
  groups: Iterable<ColumnSlice>,
  label = 'parquet',
): Generator<Uint8Array> {
  return writeGroups(columns, groups, label, (slice) => sliceLength(columns, slice, label), checkedSlice);
}

function* writeGroups<G>(
  columns: readonly Column[],
  groups: Iterable<G>,
  label: string,
  lengthOf: (group: G) => number,
  valuesOf: (columns: readonly Column[], group: G, label: string, offset: number) => GivenColumn[],
): Generator<Uint8Array> {
  const writer = new ByteWriter();
  const schema = schemaOfColumns(columns);
  const parquet = new ParquetWriter({
    writer,
    schema,
    codec: 'SNAPPY',
    // The writer's own algorithm and bytes, written faster (snappy.ts).
    compressors: { SNAPPY: snappyCompress },
    createdBy: PARQUET_CREATED_BY,
  });
  const root = schema[0] as SchemaElement;
  const leaves = columns.map((column) => ({
    name: column.name,
    schemaPath: [root, ...parquetSchemaOf(column)],
  }));
  const take = () => {
    const bytes = writer.getBytes().slice();
    writer.index = 0;
    return bytes;
  };
  let offset = 0;
  for (const group of groups) {
    const length = lengthOf(group);
    if (length > ROW_GROUP_SIZE)
      throw new RangeError(`${label}: a row group holds at most ${ROW_GROUP_SIZE} rows`);
    if (length === 0) continue;
    const values = valuesOf(columns, group, label, offset);
    const columnData = columnDataOfGroup(columns, values);
    writeRowGroup(parquet, writer, leaves, columnData, length);
    withOurStatistics(parquet, columnData);
    offset += length;
    yield take();
  }
  parquet.finish();
  yield withStructRowGroupList(take(), offset === 0);
}

/**
 * Each column's data for the writer. A string column equal value for value to an earlier string column
 * (a root-domain campaign's source_root_domain is its source) shares that column's data, so its bytes
 * and statistics are made once.
 */
function columnDataOfGroup(columns: readonly Column[], values: readonly GivenColumn[]): ColumnData[] {
  const data: ColumnData[] = [];
  columns.forEach((column, index) => {
    const own = values[index] ?? [];
    const same =
      column.type === 'string'
        ? columns.findIndex(
            (other, earlier) =>
              earlier < index && other.type === 'string' && sameValues(values[earlier] ?? [], own),
          )
        : -1;
    data.push(same >= 0 ? (data[same] as ColumnData) : columnDataOf(column, own));
  });
  return data;
}

function sameValues(a: GivenColumn, b: GivenColumn): boolean {
  if (isUtf8Strings(a) || isUtf8Strings(b)) return a === b;
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * The row group just written, given the statistics computed for it (columns written with the writer's
 * own statistics off): the chunk's min/max/null counts, and the page encoding counts the writer records
 * only when it computes statistics itself (a dictionary page if any, then the data pages: one, or as
 * many as its offset index lists).
 */
function withOurStatistics(parquet: ParquetWriter, columnData: readonly ColumnData[]): void {
  const written = parquet.pendingIndexes.slice(-columnData.length);
  if (written.length !== columnData.length)
    throw new Error('parquet: hyparquet-writer did not record one column chunk per column');
  columnData.forEach(({ statistics }, index) => {
    const { chunk, offsetIndex } = written[index] as (typeof written)[number];
    const meta = chunk.meta_data;
    if (statistics === undefined || meta === undefined) return;
    const encoding = meta.encodings.at(-1) ?? 'PLAIN';
    meta.statistics = statistics;
    meta.encoding_stats = [
      ...(meta.dictionary_page_offset === undefined
        ? []
        : [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }]),
      { page_type: 'DATA_PAGE_V2', encoding, count: offsetIndex?.page_locations.length ?? 1 },
    ];
  });
}

/**
 * The footer of a file with no row groups, its empty `row_groups` list headed as a list of structs.
 * hyparquet-writer heads every empty list with element type 0, which Arrow's Rust reader refuses
 * ("Expected list element type of Struct"); DuckDB, hyparquet and Trino ignore an empty list's type.
 * In the footer, field 3 (num_rows, i64 0) is followed by field 4 (row_groups: list, empty) and field 6
 * (created_by: binary, our constant): that sequence is found from the end and only its list header changed.
 */
function withStructRowGroupList(tail: Uint8Array, empty: boolean): Uint8Array {
  if (!empty) return tail;
  const createdBy = Buffer.from(PARQUET_CREATED_BY);
  // 0x16 0x00: field +1, i64, 0 | 0x19 0x00: field +1, list, empty | 0x28 <length> <bytes>: field +2, binary.
  const footer = Buffer.concat([Buffer.from([0x16, 0x00, 0x19, 0x00, 0x28, createdBy.length]), createdBy]);
  const at = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).lastIndexOf(footer);
  if (at < 0 || createdBy.length > 127)
    throw new Error(
      'parquet: the footer of an empty file is not laid out as hyparquet-writer 0.17 writes it',
    );
  const fixed = tail.slice();
  fixed[at + 3] = EMPTY_STRUCT_LIST;
  return fixed;
}

/** Thrift compact protocol: the header of an empty list of structs (size 0 << 4 | STRUCT). */
const EMPTY_STRUCT_LIST = 0x0c;

function sliceLength(columns: readonly Column[], slice: ColumnSlice, label: string): number {
  const length = lengthOfColumn(slice[columns[0]?.name ?? '']) ?? 0;
  for (const column of columns) {
    if (lengthOfColumn(slice[column.name]) !== length)
      throw new LakeEncodeError(`${label}: column ${column.name} is missing or not ${length} values long`);
  }
  return length;
}

/** Column types whose Parquet form is the contract's value itself (toParquetValue leaves them alone). */
const KEPT_AS_THEY_ARE: ReadonlySet<Column['type']> = new Set([
  'string',
  'int',
  'double',
  'boolean',
  'array<string>',
]);

/** A column slice's values in Parquet form, checked as rows are; LakeEncodeError (zod's words) for the first row that does not fit. */
function checkedSlice(
  columns: readonly Column[],
  slice: ColumnSlice,
  label: string,
  offset: number,
): GivenColumn[] {
  const length = sliceLength(columns, slice, label);
  let misfit = length;
  const values = columns.map((column): GivenColumn => {
    const given = slice[column.name] as GivenColumn;
    if (isUtf8Strings(given)) {
      if (column.type !== 'string' || given.values !== undefined || !utf8StringsFit(given))
        throw new LakeEncodeError(
          `${label}: column ${column.name} is given as UTF-8 but is not a string column of well-formed UTF-8 without nulls`,
        );
      return given;
    }
    const source = given;
    const nullable = column.nullable === true;
    if (KEPT_AS_THEY_ARE.has(column.type)) {
      // Checked in place and handed on as they are (nothing downstream writes to them): one array
      // less per column and group, which at 1M rows is GC time.
      misfit = firstMisfit(column.type, source, nullable, misfit);
      return source;
    }
    const toParquet = fittedValue(column);
    const converted = new Array<unknown>(length);
    for (let index = 0; index < Math.min(length, misfit); index++) {
      const value = source[index];
      const parquetValue = value === null && nullable ? null : toParquet(value);
      if (parquetValue === MISFIT) {
        misfit = index;
        break;
      }
      converted[index] = parquetValue;
    }
    return converted;
  });
  if (misfit === length) return values;
  const arrays = columns.map((column) => columnValues(slice[column.name]));
  const rows = Array.from({ length: length - misfit }, (_, at) =>
    Object.fromEntries(columns.map((column, index) => [column.name, arrays[index]?.[misfit + at]])),
  );
  checkedColumnValues(columns, rows, label, offset + misfit);
  // The plain checks refused a value zod accepts (they may only be stricter): convert as zod sees it.
  return columns.map((column, index) => (arrays[index] ?? []).map((value) => toParquetValue(column, value)));
}

/** Each column's values in Parquet form; LakeEncodeError (zod's words) for the first row that does not fit. */
function checkedColumnValues(
  columns: readonly Column[],
  rows: readonly object[],
  label: string,
  offset: number,
): unknown[][] {
  const fitted = fittedColumns(columns, rows);
  if (fitted.misfit === rows.length) return fitted.values;
  // Rows before the misfit passed the plain checks, so they fit; zod judges the rest and words the error.
  const rowSchema = rowSchemaOf(columns);
  for (let index = fitted.misfit; index < rows.length; index++) {
    const result = rowSchema.safeParse(rows[index]);
    if (!result.success) {
      throw new LakeEncodeError(
        `${label} row ${offset + index} does not fit the lake contract: ${describeIssues(result.error)}`,
      );
    }
  }
  return columns.map((column) =>
    rows.map((row) => toParquetValue(column, (row as Record<string, unknown>)[column.name])),
  );
}

const MISFIT = Symbol('misfit');

/**
 * Every column's values in Parquet form, checked and converted in one pass over the rows (one visit per
 * row object: a pass per column was dominated by cache misses). Stops at the first row that is not an
 * object with exactly the contract's keys (own and inherited enumerable, as zod's strictObject sees
 * them) or holds a value zod would refuse; `misfit` is that row's index, or rows.length.
 */
function fittedColumns(
  columns: readonly Column[],
  rows: readonly object[],
): { values: unknown[][]; misfit: number } {
  const names = columns.map((column) => column.name);
  const known = new Set(names);
  const nullable = columns.map((column) => column.nullable === true);
  const toParquet = columns.map(fittedValue);
  // Sized up front: growing fifteen arrays by push cost more than the checks.
  const values = columns.map((): unknown[] => new Array(rows.length));
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index];
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return { values, misfit: index };
    let keys = 0;
    for (const key in row) {
      // Rows are usually built in contract order, so the Set is rarely consulted.
      if (key !== names[keys] && !known.has(key)) return { values, misfit: index };
      keys++;
    }
    if (keys !== names.length) return { values, misfit: index };
    for (let column = 0; column < names.length; column++) {
      const value = (row as Record<string, unknown>)[names[column] as string];
      const converted = value === null && nullable[column] ? null : (toParquet[column] as Convert)(value);
      if (converted === MISFIT) return { values, misfit: index };
      (values[column] as unknown[])[index] = converted;
    }
  }
  return { values, misfit: rows.length };
}

type Convert = (value: unknown) => unknown;

/** A non-null value in Parquet form (as toParquetValue converts it), or MISFIT if zod would refuse it. */
function fittedValue(column: Column): Convert {
  const fits = fitsColumnType[column.type];
  switch (column.type) {
    case 'date':
    case 'timestamp': {
      // Snapshots repeat a handful of dates: check and convert each distinct string once.
      const converted = new Map<unknown, unknown>();
      // And the same date as the value before (most of them) without a lookup.
      let last: unknown;
      let lastConverted: unknown;
      return (value) => {
        if (value === last && last !== undefined) return lastConverted;
        const known = converted.get(value);
        if (known !== undefined) {
          last = value;
          lastConverted = known;
          return known;
        }
        if (!fits(value)) return MISFIT;
        const parquetValue = toParquetValue(column, value);
        converted.set(value, parquetValue);
        return parquetValue;
      };
    }
    case 'bigint':
      return (value) => (fits(value) ? BigInt(value as number) : MISFIT);
    default:
      return (value) => (fits(value) ? value : MISFIT);
  }
}

function fromParquetValue(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'date':
      return value instanceof Date
        ? utcDate(value)
        : typeof value === 'number'
          ? epochDaysToDate(value)
          : value;
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : value;
    case 'int':
    case 'bigint':
    case 'double':
      return typeof value === 'bigint' ? Number(value) : value;
    case 'array<string>':
      return Array.isArray(value) ? Array.from(value) : value;
    default:
      return value;
  }
}

/**
 * Decode a prospects or changes file back to contract rows: dates as 'YYYY-MM-DD', timestamps as ISO
 * strings, INT64 as number, lists as string[]. A nullable column missing from an older file reads as
 * null; a missing required column or a value of the wrong type is a LakeDecodeError.
 */
export async function decodeParquet<T extends ParquetTableName>(
  table: T,
  bytes: Uint8Array,
): Promise<ParquetRowOf<T>[]> {
  return (await decodeParquetRows(LAKE_TABLES[table].columns, bytes, table)) as ParquetRowOf<T>[];
}

/** Decode a Parquet file to rows of the given columns (decodeParquet's engine). */
export async function decodeParquetRows(
  columns: readonly Column[],
  bytes: Uint8Array,
  label = 'parquet',
): Promise<Record<string, unknown>[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let raw: Record<string, unknown>[];
  try {
    raw = await parquetReadObjects({ file });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LakeDecodeError(`${label}: not a readable Parquet file (${reason})`);
  }
  // Built only for a row the plain checks refuse (about 1 ms a build: this runs once per file read).
  let rowSchema: ReturnType<typeof rowSchemaOf> | undefined;
  const fits = columns.map((column) => fitsColumnType[column.type]);
  // Columns are only ever appended, and appended ones are nullable: a file written before a column
  // existed reads it as null (as Athena does). A missing column that is not nullable is an error.
  const present = new Set(
    raw.length > 0 ? Object.keys(raw[0] as object) : columns.map((column) => column.name),
  );
  const absent = columns.find((column) => !present.has(column.name) && column.nullable !== true);
  if (absent) throw new LakeDecodeError(`${label}: the file has no column ${absent.name}`);
  return raw.map((source, index) => {
    // Built in contract order, so only the values need checking; zod only sees rows that fail.
    const row: Record<string, unknown> = {};
    let fitting = true;
    for (let position = 0; position < columns.length; position++) {
      const column = columns[position] as Column;
      const value = fromParquetValue(column, source[column.name]);
      row[column.name] = value;
      if (
        value === null ? column.nullable !== true : !(fits[position] as (value: unknown) => boolean)(value)
      ) {
        fitting = false;
      }
    }
    if (fitting) return row;
    rowSchema ??= rowSchemaOf(columns);
    const result = rowSchema.safeParse(row);
    if (!result.success) {
      throw new LakeDecodeError(
        `${label} row ${index} does not fit the lake contract: ${describeIssues(result.error)}`,
      );
    }
    return row;
  });
}
