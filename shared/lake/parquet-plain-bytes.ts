/**
 * A string column of distinct values written as hyparquet-writer 0.17's `writeColumn` writes it (PLAIN
 * data pages V2, split at 1 MB of value bytes, Snappy, an offset index when there are several pages),
 * from the column's UTF-8 bytes in one buffer rather than one Uint8Array per value. The writer would
 * otherwise be handed a view per value (made by us), estimate, slice, length-prefix and copy each one
 * through its ByteWriter (another view per value): for 100k sources that was ≈ 65 ms of a ≈ 700 ms
 * snapshot write, three columns alike (bench/README.md 4b, third pass). Only the page bodies are built
 * here; headers, levels and compression are the writer's own functions, and a column goes this way only
 * when the writer's own dictionary sampling would refuse it, so the bytes are the writer's
 * (test/unit/lake-parquet-writer.test.ts compares whole files).
 */
import { isUtf8 } from 'node:buffer';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import type { ChunkStatistics, Compressor, PageIndexes, Writer } from 'hyparquet-writer/src/types.js';

// hyparquet-writer's own copy of hyparquet's types (the project's hyparquet is another version).
type ColumnChunk = PageIndexes['chunk'];
type OffsetIndex = NonNullable<PageIndexes['offsetIndex']>;

/**
 * A string column as UTF-8: value i is bytes[ends[i - 1] .. ends[i]) (from 0 for i = 0), null where
 * `values` has null (no null without `values`). How a column may be handed to the encoder (ColumnSlice),
 * e.g. the gap list's titles, kept as UTF-8: no JS string per value.
 */
export interface Utf8Strings {
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
  /** The column's values as JS strings (only read for null), when it was given that way. */
  readonly values?: readonly unknown[];
}

/** Value `index` of the column is null. */
const nullAt = (strings: Utf8Strings, index: number) =>
  strings.values !== undefined && isNull(strings.values[index]);

/** hyparquet-writer's defaults that shape pages: `pageSize` of ParquetWriter.write (bytes of values per page, estimated). */
export const PAGE_SIZE = 1_048_576;
/** useDictionary's sample: at most this many values, spread over the column. */
const DICTIONARY_SAMPLE = 1000;
/** useDictionary refuses a column whose sampled distinct bytes exceed this share of its sampled bytes. */
const SAMPLE_REJECTION_RATIO = 0.9;
const LENGTH_PREFIX = 4;

const isNull = (value: unknown) => value === null || value === undefined;
const startOf = (strings: Utf8Strings, index: number) =>
  index === 0 ? 0 : (strings.ends[index - 1] as number);

/** FNV-1a over a byte range: the hash useDictionary keys sampled byte arrays by (collisions included). */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let at = start; at < end; at++) {
    hash ^= bytes[at] as number;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Whether hyparquet-writer 0.17's useDictionary refuses the column at its sampling step (a plain
 * encoding without building a dictionary), as it decides for byte-array values: a sample spread over
 * the column, keyed by FNV-1a hash, sizes with a 4-byte prefix, refused above 90 % distinct bytes.
 */
export function dictionarySampleRefuses(strings: Utf8Strings): boolean {
  const count = strings.ends.length;
  const sampleSize = Math.min(count, DICTIONARY_SAMPLE);
  const sizes = new Map<unknown, number>();
  let distinctSize = 0;
  let totalSize = 0;
  for (let i = 0; i < sampleSize; i++) {
    const index = sampleSize === 1 ? 0 : Math.floor((i * (count - 1)) / (sampleSize - 1));
    const value = strings.values?.[index];
    const start = startOf(strings, index);
    const end = strings.ends[index] as number;
    const absent = nullAt(strings, index);
    const key = absent ? value : hashBytes(strings.bytes, start, end);
    let size = sizes.get(key);
    if (size === undefined) {
      size = absent ? 0 : end - start + LENGTH_PREFIX;
      sizes.set(key, size);
      distinctSize += size;
    }
    totalSize += size;
  }
  return totalSize === 0 || distinctSize / totalSize > SAMPLE_REJECTION_RATIO;
}

/** Where pages start, as getPageBoundaries splits a flat column: a new page once 1 MB of value bytes is reached. */
function pageStarts(strings: Utf8Strings): number[] {
  const starts = [0];
  let start = 0;
  let accumulated = 0;
  for (let index = 0; index < strings.ends.length; index++) {
    const size = nullAt(strings, index) ? 0 : (strings.ends[index] as number) - startOf(strings, index);
    accumulated += size;
    if (accumulated >= PAGE_SIZE && index > start) {
      starts.push(index);
      start = index;
      accumulated = size;
    }
  }
  return starts;
}

/** PLAIN BYTE_ARRAY of the non-null values in [start, end): each one's 4-byte little-endian length, then its bytes. */
function plainPage(strings: Utf8Strings, start: number, end: number, nulls: number): Uint8Array {
  const { bytes } = strings;
  const page = new Uint8Array(
    startOf(strings, end) - startOf(strings, start) + (end - start - nulls) * LENGTH_PREFIX,
  );
  let at = 0;
  for (let index = start; index < end; index++) {
    if (nullAt(strings, index)) continue;
    const from = startOf(strings, index);
    const length = (strings.ends[index] as number) - from;
    page[at] = length & 0xff;
    page[at + 1] = (length >>> 8) & 0xff;
    page[at + 2] = (length >>> 16) & 0xff;
    page[at + 3] = length >>> 24;
    at += LENGTH_PREFIX;
    if (length < 64)
      for (let offset = 0; offset < length; offset++) page[at + offset] = bytes[from + offset] as number;
    else page.set(bytes.subarray(from, from + length), at);
    at += length;
  }
  return page;
}

/** One data page as writeDataPageV2 writes a flat column's PLAIN page; returns its uncompressed size with the header. */
function writePage(
  writer: Writer,
  strings: Utf8Strings,
  range: { start: number; end: number; optional: boolean },
  compress: Compressor,
): number {
  const { start, end, optional } = range;
  const levels = new ByteWriter();
  let nulls = 0;
  let levelsLength = 0;
  if (optional) {
    const definitionLevels = new Array<number>(end - start);
    for (let index = start; index < end; index++) {
      const present = nullAt(strings, index) ? 0 : 1;
      definitionLevels[index - start] = present;
      nulls += 1 - present;
    }
    levelsLength = writeRleBitPackedHybrid(levels, definitionLevels, 1);
  }
  const page = plainPage(strings, start, end, nulls);
  const compressed = compress(page);
  const headerStart = writer.offset;
  writePageHeader(writer, {
    type: 'DATA_PAGE_V2',
    uncompressed_page_size: levels.offset + page.length,
    compressed_page_size: levels.offset + compressed.length,
    data_page_header_v2: {
      num_values: end - start,
      num_nulls: nulls,
      num_rows: end - start,
      encoding: 'PLAIN',
      definition_levels_byte_length: levelsLength,
      repetition_levels_byte_length: 0,
      is_compressed: true,
    },
  });
  const headerSize = writer.offset - headerStart;
  writer.appendBytes(levels.getBytes());
  writer.appendBytes(compressed);
  return headerSize + levels.offset + page.length;
}

/**
 * The column chunk of a flat BYTE_ARRAY column, PLAIN, Snappy, as writeColumn writes it with the
 * writer's statistics off (the caller adds them, as for every column it computes them for).
 */
export function writePlainStringChunk(
  writer: Writer,
  column: { name: string; optional: boolean },
  strings: Utf8Strings,
  compress: Compressor,
): PageIndexes {
  const offsetStart = writer.offset;
  const count = strings.ends.length;
  const starts = pageStarts(strings);
  const offsetIndex: OffsetIndex | undefined = starts.length > 1 ? { page_locations: [] } : undefined;
  const dataPageOffset = BigInt(writer.offset);
  let uncompressedSize = 0;
  starts.forEach((start, page) => {
    const pageOffset = writer.offset;
    const end = starts[page + 1] ?? count;
    uncompressedSize += writePage(writer, strings, { start, end, optional: column.optional }, compress);
    offsetIndex?.page_locations.push({
      offset: BigInt(pageOffset),
      compressed_page_size: writer.offset - pageOffset,
      first_row_index: BigInt(start),
    });
  });
  const chunk: ColumnChunk = {
    meta_data: {
      type: 'BYTE_ARRAY',
      encodings: ['PLAIN'],
      path_in_schema: [column.name],
      codec: 'SNAPPY',
      num_values: BigInt(count),
      total_compressed_size: BigInt(writer.offset - offsetStart),
      total_uncompressed_size: BigInt(uncompressedSize),
      data_page_offset: dataPageOffset,
    },
    file_offset: BigInt(offsetStart),
  };
  return { chunk, offsetIndex };
}

/**
 * The chunk of a column equal value for value to one written earlier in the same row group (a
 * root-domain campaign's source_root_domain is its source): the earlier chunk's bytes copied (pages
 * hold no offsets), its offsets moved to where the copy lands.
 */
export function copyPlainStringChunk(writer: ByteWriter, earlier: PageIndexes, name: string): PageIndexes {
  const meta = earlier.chunk.meta_data;
  if (meta === undefined) throw new Error('parquet: a written chunk has no metadata');
  const from = Number(earlier.chunk.file_offset);
  // The writer's buffer holds the row group being written: file offset − (offset − index) is its position there.
  const bytes = new Uint8Array(
    writer.buffer,
    from - (writer.offset - writer.index),
    Number(meta.total_compressed_size),
  ).slice();
  const start = writer.offset;
  writer.appendBytes(bytes);
  const shift = BigInt(start - from);
  const offsetIndex = earlier.offsetIndex && {
    page_locations: earlier.offsetIndex.page_locations.map((page) => ({
      ...page,
      offset: page.offset + shift,
    })),
  };
  return {
    chunk: {
      meta_data: { ...meta, path_in_schema: [name], data_page_offset: meta.data_page_offset + shift },
      file_offset: BigInt(start),
    },
    offsetIndex,
  };
}

/**
 * The chunk statistics hyparquet-writer computes for byte arrays: null count, the first smallest and
 * first largest value in unsigned byte order, as bytes of their own (a row group's bounds are kept
 * until the footer; a view would keep the whole column's buffer alive).
 */
export function utf8StringStatistics(strings: Utf8Strings): ChunkStatistics {
  const { bytes } = strings;
  let nulls = 0;
  let min = -1;
  let max = -1;
  for (let index = 0; index < strings.ends.length; index++) {
    if (nullAt(strings, index)) {
      nulls++;
      continue;
    }
    if (min < 0 || compareRanges(bytes, strings, index, min) < 0) min = index;
    if (max < 0 || compareRanges(bytes, strings, index, max) > 0) max = index;
  }
  // A copy (Buffer's own slice would be a view of the whole column).
  const own = (index: number) =>
    index < 0
      ? undefined
      : new Uint8Array(bytes.subarray(startOf(strings, index), strings.ends[index] as number));
  return { min_value: own(min), max_value: own(max), null_count: BigInt(nulls), nan_count: undefined };
}

/** Unsigned byte order of values a and b of the column. */
function compareRanges(bytes: Uint8Array, strings: Utf8Strings, a: number, b: number): number {
  const aStart = startOf(strings, a);
  const bStart = startOf(strings, b);
  return compareBytes(
    bytes,
    aStart,
    (strings.ends[a] as number) - aStart,
    bStart,
    (strings.ends[b] as number) - bStart,
  );
}

/** Unsigned byte order of two ranges of one buffer (the order of Parquet byte-array statistics). */
export function compareBytes(
  bytes: Uint8Array,
  a: number,
  aLength: number,
  b: number,
  bLength: number,
): number {
  const common = Math.min(aLength, bLength);
  for (let offset = 0; offset < common; offset++) {
    const difference = (bytes[a + offset] as number) - (bytes[b + offset] as number);
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/** A column given as UTF-8 (rather than as an array of values). */
export const isUtf8Strings = (values: unknown): values is Utf8Strings =>
  typeof values === 'object' && values !== null && !Array.isArray(values) && 'ends' in values;

// ignoreBOM: a value's leading U+FEFF is part of it (decoding is then the exact inverse of encoding).
const fromUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The column's values as JS strings (null where null). */
export function stringsOf(strings: Utf8Strings): (string | null)[] {
  return Array.from(strings.ends, (_, index) => stringAt(strings, index));
}

/** Value `index` of the column as a JS string (null where null). */
export function stringAt(strings: Utf8Strings, index: number): string | null {
  return nullAt(strings, index)
    ? null
    : fromUtf8.decode(strings.bytes.subarray(startOf(strings, index), strings.ends[index] as number));
}

/**
 * `strings` is well formed: valid UTF-8, ends that never decrease, stay within the bytes and never
 * split a character (the byte after a value's end is not a continuation byte).
 */
export function utf8StringsFit(strings: Utf8Strings): boolean {
  const { bytes } = strings;
  let previous = 0;
  for (const end of strings.ends) {
    if (end < previous || end > bytes.length) return false;
    if (end < bytes.length && ((bytes[end] as number) & 0xc0) === 0x80) return false;
    previous = end;
  }
  return isUtf8(bytes);
}
