/**
 * One row group of a snapshot file. Each column chunk is written by hyparquet-writer's own
 * `writeColumn` (dictionary choice, pages, encodings, statistics when asked), or, for a string column of
 * distinct values, as PLAIN pages from its bytes (parquet-plain-bytes.ts). What ParquetWriter.write
 * adds around writeColumn is done here: the levels of each column (its generic Dremel walk visited
 * every list element recursively, ≈ 240 ms of a 1M write for the one list column: bench/README.md 4b,
 * third pass), the column encoder, and the row group's entry. Same chunks, same bytes as `write`
 * (test/unit/lake-parquet-writer.test.ts compares whole files with the writer left to itself).
 */
import type { ByteWriter, ParquetWriter, SchemaElement } from 'hyparquet-writer';
import { writeColumn } from 'hyparquet-writer/src/column.js';
import type { PageData, PageIndexes } from 'hyparquet-writer/src/types.js';
import type { ColumnData } from './parquet-column-data.ts';
import {
  copyPlainStringChunk,
  PAGE_SIZE,
  type Utf8Strings,
  writePlainStringChunk,
} from './parquet-plain-bytes.ts';
import { snappyCompress } from './snappy.ts';

/** A column of the file: its schema elements from the root to its leaf (the root, then parquetSchemaOf's). */
export interface LeafColumn {
  name: string;
  schemaPath: SchemaElement[];
}

export function writeRowGroup(
  parquet: ParquetWriter,
  writer: ByteWriter,
  columns: readonly LeafColumn[],
  columnData: readonly ColumnData[],
  length: number,
): void {
  const groupStart = writer.offset;
  const chunks: PageIndexes['chunk'][] = [];
  // Columns sharing their data (columnDataOfGroup) share their pages too.
  const plainWritten = new Map<Utf8Strings, { optional: boolean; written: PageIndexes }>();
  columns.forEach(({ name, schemaPath }, index) => {
    const { data = [], statistics, plain } = columnData[index] ?? {};
    const optional = schemaPath[1]?.repetition_type === 'OPTIONAL';
    let written: PageIndexes;
    if (plain === undefined)
      written = writtenByTheWriter(parquet, schemaPath, data, statistics === undefined);
    else {
      const earlier = plainWritten.get(plain);
      written =
        earlier !== undefined && earlier.optional === optional
          ? copyPlainStringChunk(writer, earlier.written, name)
          : writePlainStringChunk(writer, { name, optional }, plain, snappyCompress);
      plainWritten.set(plain, { optional, written });
    }
    parquet.pendingIndexes.push(written);
    chunks.push(written.chunk);
  });
  let totalByteSize = 0n;
  for (const { meta_data } of chunks) totalByteSize += meta_data?.total_uncompressed_size ?? 0n;
  parquet.num_rows += BigInt(length);
  parquet.row_groups.push({
    columns: chunks,
    total_byte_size: totalByteSize,
    num_rows: BigInt(length),
    total_compressed_size: BigInt(writer.offset - groupStart),
  });
}

/** One column chunk through writeColumn, with the encoder ParquetWriter.write builds for a column given only its data. */
function writtenByTheWriter(
  parquet: ParquetWriter,
  schemaPath: SchemaElement[],
  data: unknown[],
  stats: boolean,
): PageIndexes {
  const leaf = schemaPath.at(-1) as SchemaElement;
  return writeColumn({
    writer: parquet.writer,
    column: {
      columnName: schemaPath
        .slice(1)
        .map((element) => element.name)
        .join('.'),
      element: leaf,
      schemaPath,
      codec: parquet.codec,
      compressors: parquet.compressors,
      stats,
      statisticsTruncateLength: parquet.statisticsTruncateLength,
      pageSize: PAGE_SIZE,
      columnIndex: false,
      offsetIndex: true,
    },
    pageData: pageDataOf(schemaPath, data),
  });
}

const isNull = (value: unknown) => value === null || value === undefined;

/** The values and levels the writer's Dremel walk (encodeNestedValues) gives for a flat column or a LIST of optional strings. */
function pageDataOf(schemaPath: readonly SchemaElement[], rows: unknown[]): PageData {
  const optional = schemaPath[1]?.repetition_type === 'OPTIONAL';
  if (schemaPath.length === 2) {
    if (!optional) return { values: rows, definitionLevels: [], repetitionLevels: [], maxDefinitionLevel: 0 };
    const definitionLevels = new Array<number>(rows.length);
    for (let index = 0; index < rows.length; index++) definitionLevels[index] = isNull(rows[index]) ? 0 : 1;
    return { values: rows, definitionLevels, repetitionLevels: [], maxDefinitionLevel: 1 };
  }
  const [, , list, element] = schemaPath;
  if (
    schemaPath.length !== 4 ||
    list?.repetition_type !== 'REPEATED' ||
    element?.repetition_type !== 'OPTIONAL'
  )
    throw new Error(`parquet: no levels for the schema of column ${schemaPath[1]?.name}`);
  return listPageData(rows, optional);
}

/**
 * `<name> (LIST) { repeated group list { optional element } }`: one slot per element (repetition 1
 * after a row's first), one empty slot for an empty list (definition: the list's) or a null one (0).
 */
function listPageData(rows: readonly unknown[], optional: boolean): PageData {
  const present = optional ? 1 : 0;
  const values: unknown[] = [];
  const definitionLevels: number[] = [];
  const repetitionLevels: number[] = [];
  for (const row of rows) {
    if (isNull(row)) {
      if (!optional) throw new Error('parquet required value is undefined');
      values.push(undefined);
      definitionLevels.push(0);
      repetitionLevels.push(0);
      continue;
    }
    if (!Array.isArray(row)) throw new Error('parquet repeated field list must be an array');
    if (row.length === 0) {
      values.push(undefined);
      definitionLevels.push(present);
      repetitionLevels.push(0);
      continue;
    }
    for (let at = 0; at < row.length; at++) {
      const value = row[at];
      values.push(value);
      definitionLevels.push(isNull(value) ? present + 1 : present + 2);
      repetitionLevels.push(at === 0 ? 0 : 1);
    }
  }
  return { values, definitionLevels, repetitionLevels, maxDefinitionLevel: present + 2 };
}
