/**
 * Parquet snapshots of the prospects and changes tables, written with an explicit schema built from
 * the lake contract (schema.ts) so Athena's Hive Parquet SerDe, DuckDB and hyparquet all read the
 * same types. Output is deterministic: identical rows give identical bytes (no clock in metadata).
 */
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { dateToEpochDays, describeIssues, epochDaysToDate, rowSchemaOf, utcDate } from './columns.ts';
import { LakeDecodeError, LakeEncodeError } from './errors.ts';
import { type ChangeRow, type Column, LAKE_TABLES, type ProspectRow } from './schema.ts';

export type ParquetTableName = 'prospects' | 'changes';
export type ParquetRowOf<T extends ParquetTableName> = T extends 'prospects' ? ProspectRow : ChangeRow;

/** Written into every file's `created_by`; constant so bytes do not depend on who wrote them. */
export const PARQUET_CREATED_BY = 'linkgap';
/** One row group per file in practice (a run is capped well below this). */
const ROW_GROUP_SIZE = 100_000;

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

function schemaOfColumns(columns: readonly Column[]): SchemaElement[] {
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
  const rowSchema = rowSchemaOf(columns);
  rows.forEach((row, index) => {
    const result = rowSchema.safeParse(row);
    if (!result.success) {
      throw new LakeEncodeError(
        `${label} row ${index} does not fit the lake contract: ${describeIssues(result.error)}`,
      );
    }
  });
  const buffer = parquetWriteBuffer({
    schema: schemaOfColumns(columns),
    columnData: columns.map((column) => ({
      name: column.name,
      data: rows.map((row) => toParquetValue(column, (row as Record<string, unknown>)[column.name])),
    })),
    codec: 'SNAPPY',
    createdBy: PARQUET_CREATED_BY,
    rowGroupSize: ROW_GROUP_SIZE,
  });
  return new Uint8Array(buffer);
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
  const rowSchema = rowSchemaOf(columns);
  return raw.map((source, index) => {
    const row = Object.fromEntries(
      columns.map((column) => [column.name, fromParquetValue(column, source[column.name])]),
    );
    const result = rowSchema.safeParse(row);
    if (!result.success) {
      throw new LakeDecodeError(
        `${label} row ${index} does not fit the lake contract: ${describeIssues(result.error)}`,
      );
    }
    return row;
  });
}
