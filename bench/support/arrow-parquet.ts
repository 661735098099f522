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
import { type ColumnSlice, columnValues, PARQUET_CREATED_BY, ROW_GROUP_SIZE } from '#lake/parquet.ts';
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

/** A validity bitmap (bit set = value present), or undefined when nothing is null. */
function validityOf(values: readonly unknown[]): { bitmap: Uint8Array | undefined; nulls: number } {
  let nulls = 0;
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  for (let index = 0; index < values.length; index++) {
    if (values[index] === null || values[index] === undefined) nulls++;
    else bitmap[index >> 3] = (bitmap[index >> 3] as number) | (1 << (index & 7));
  }
  return { bitmap: nulls > 0 ? bitmap : undefined, nulls };
}

/** A string column (nulls allowed): one UTF-8 buffer and its offsets; an all-ASCII column in one native call. */
function utf8Data(values: readonly unknown[]): Data<Utf8> {
  const offsets = new Int32Array(values.length + 1);
  const joined = values.join('');
  let bytes: Buffer;
  if (Buffer.byteLength(joined, 'utf8') === joined.length) {
    let total = 0;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (typeof value === 'string') total += value.length;
      offsets[index + 1] = total;
    }
    bytes = Buffer.from(joined, 'latin1');
  } else {
    let total = 0;
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (typeof value === 'string') total += Buffer.byteLength(value);
      offsets[index + 1] = total;
    }
    bytes = Buffer.allocUnsafeSlow(total);
    for (let index = 0; index < values.length; index++) {
      const value = values[index];
      if (typeof value === 'string') bytes.write(value, offsets[index] as number, 'utf8');
    }
  }
  const { bitmap, nulls } = validityOf(values);
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: nulls,
    nullBitmap: bitmap,
    valueOffsets: offsets,
    data: bytes,
  });
}

function numberData(column: Column, values: readonly unknown[]): Data {
  const { bitmap, nulls } = validityOf(values);
  const length = values.length;
  if (column.type === 'double') {
    const data = new Float64Array(length);
    for (let index = 0; index < length; index++) data[index] = (values[index] as number | null) ?? 0;
    return makeData({ type: new Float64(), length, nullCount: nulls, nullBitmap: bitmap, data });
  }
  const data = new Int32Array(length);
  if (column.type === 'date') {
    const days = new Map<unknown, number>();
    for (let index = 0; index < length; index++) {
      const value = values[index];
      if (value === null || value === undefined) continue;
      let day = days.get(value);
      if (day === undefined) {
        day = dateToEpochDays(value as string);
        days.set(value, day);
      }
      data[index] = day;
    }
    return makeData({ type: new DateDay(), length, nullCount: nulls, nullBitmap: bitmap, data });
  }
  for (let index = 0; index < length; index++) data[index] = (values[index] as number | null) ?? 0;
  return makeData({ type: new Int32(), length, nullCount: nulls, nullBitmap: bitmap, data });
}

/** A required list<string> column: list offsets over one string child. */
function listData(values: readonly unknown[]): Data {
  const offsets = new Int32Array(values.length + 1);
  const elements: unknown[] = [];
  for (let index = 0; index < values.length; index++) {
    for (const element of values[index] as string[]) elements.push(element);
    offsets[index + 1] = elements.length;
  }
  const child = utf8Data(elements);
  return makeData({
    type: new List<Utf8>(new Field('element', new Utf8(), true)),
    length: values.length,
    nullCount: 0,
    valueOffsets: offsets,
    child,
  });
}

function columnData(column: Column, values: readonly unknown[]): Data {
  switch (column.type) {
    case 'string':
      return utf8Data(values);
    case 'int':
    case 'double':
    case 'date':
      return numberData(column, values);
    case 'array<string>':
      if (column.nullable !== true) return listData(values);
  }
  return vectorFromArray(values as unknown[], arrowType(column) as never).data[0] as Data;
}

/** Where parquet-wasm's time goes, in ms: Arrow batches, Arrow IPC, into wasm memory, the wasm write. */
export interface ParquetWasmPhases {
  buildMs: number;
  ipcMs: number;
  loadMs: number;
  writeMs: number;
}

/** One Parquet file of the given columns from column slices, through Arrow and parquet-wasm. */
export function encodeWithParquetWasm(
  columns: readonly Column[],
  groups: Iterable<ColumnSlice>,
): { bytes: Uint8Array; phases: ParquetWasmPhases } {
  const schema = new Schema(
    columns.map((column) => new Field(column.name, arrowType(column), column.nullable === true)),
  );
  const started = performance.now();
  const batches: RecordBatch[] = [];
  for (const slice of groups) {
    const children = columns.map((column) => columnData(column, columnValues(slice[column.name])));
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
  const built = performance.now();
  const ipc = tableToIPC(new Table(schema, batches), 'stream');
  const serialized = performance.now();
  const table = wasm.Table.fromIPCStream(ipc);
  const loaded = performance.now();
  const bytes = wasm.writeParquet(table, properties);
  const phases = {
    buildMs: built - started,
    ipcMs: serialized - built,
    loadMs: loaded - serialized,
    writeMs: performance.now() - loaded,
  };
  return { bytes, phases };
}
