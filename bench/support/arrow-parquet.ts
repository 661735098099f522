/**
 * The parquet-wasm + apache-arrow candidate for the snapshot writer (issue 14, Build 2), measured by
 * diff-vs-duckdb only. Each row group's columns (as the snapshot writer gets them from the diff plan)
 * become an Arrow record batch of the contract's types, built without an object per value where Arrow
 * allows (strings as one UTF-8 buffer plus offsets, required numbers as typed arrays); the batches are
 * written by the Rust `parquet` crate compiled to wasm, Snappy, the same row group size, a constant
 * created_by, pages V2 as the lake's files have.
 */
import {
  Bool,
  type Data,
  type DataType,
  DateDay,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import * as wasm from 'parquet-wasm';
import { dateToEpochDays } from '#lake/columns.ts';
import { type ColumnSlice, PARQUET_CREATED_BY, ROW_GROUP_SIZE } from '#lake/parquet.ts';
import type { Column } from '#lake/schema.ts';

function arrowType(column: Column): DataType {
  switch (column.type) {
    case 'string':
      return new Utf8();
    case 'int':
      return new Int32();
    case 'bigint':
      return new Int64();
    case 'double':
      return new Float64();
    case 'boolean':
      return new Bool();
    case 'date':
      return new DateDay();
    case 'timestamp':
      return new TimestampMillisecond();
    case 'array<string>':
      return new List(new Field('element', new Utf8(), true));
  }
}

/** A required string column: one UTF-8 buffer and its offsets. */
function utf8Data(values: readonly unknown[]): Data {
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let index = 0; index < values.length; index++) {
    total += Buffer.byteLength(values[index] as string);
    offsets[index + 1] = total;
  }
  const bytes = Buffer.allocUnsafeSlow(total);
  for (let index = 0; index < values.length; index++)
    bytes.write(values[index] as string, offsets[index] as number, 'utf8');
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: 0,
    valueOffsets: offsets,
    data: bytes,
  });
}

function columnData(column: Column, values: readonly unknown[]): Data {
  if (column.nullable !== true) {
    if (column.type === 'string') return utf8Data(values);
    if (column.type === 'int')
      return makeData({
        type: new Int32(),
        length: values.length,
        data: Int32Array.from(values as number[]),
      });
    if (column.type === 'double')
      return makeData({
        type: new Float64(),
        length: values.length,
        data: Float64Array.from(values as number[]),
      });
  }
  const converted =
    column.type === 'date'
      ? values.map((value) => (value === null ? null : dateToEpochDays(value as string) * 86_400_000))
      : values;
  return vectorFromArray(converted as unknown[], arrowType(column) as never).data[0] as Data;
}

/** One Parquet file of the given columns from column slices, through Arrow and parquet-wasm. */
export function encodeWithParquetWasm(columns: readonly Column[], groups: Iterable<ColumnSlice>): Uint8Array {
  const schema = new Schema(
    columns.map((column) => new Field(column.name, arrowType(column), column.nullable === true)),
  );
  const batches: RecordBatch[] = [];
  for (const slice of groups) {
    const children = columns.map((column) => columnData(column, slice[column.name] ?? []));
    const length = children[0]?.length ?? 0;
    batches.push(
      new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children })),
    );
  }
  const properties = new wasm.WriterPropertiesBuilder()
    .setCompression(wasm.Compression.SNAPPY)
    .setCreatedBy(PARQUET_CREATED_BY)
    .setMaxRowGroupSize(ROW_GROUP_SIZE)
    .setWriterVersion(wasm.WriterVersion.V2)
    .build();
  const ipc = tableToIPC(new Table(schema, batches), 'stream');
  return wasm.writeParquet(wasm.Table.fromIPCStream(ipc), properties);
}
