/**
 * What the snapshot writer hands hyparquet-writer for one column of one row group: the values in the
 * form it encodes fastest, and, where they are cheap to know exactly, the column chunk's statistics,
 * so the writer's own per-value statistics pass (a fifth of its time, bench/README.md section 4b) can
 * be turned off. Every choice here leaves the file's bytes as they are when hyparquet-writer is given
 * the JS values and computes everything itself (test/unit/lake-parquet-writer.test.ts compares them).
 */
import type { ChunkStatistics } from 'hyparquet-writer/src/types.js';
import {
  compareBytes,
  dictionarySampleRefuses,
  isUtf8Strings,
  stringAt,
  stringsOf,
  type Utf8Strings,
  utf8StringStatistics,
} from './parquet-plain-bytes.ts';
import type { Column } from './schema.ts';

export interface ColumnData {
  data: unknown[];
  /** The chunk's statistics as hyparquet-writer computes them; undefined: let it compute them. */
  statistics: ChunkStatistics | undefined;
  /** A string column to write as PLAIN pages from these bytes (writePlainStringChunk), not through the writer. */
  plain?: Utf8Strings;
}

/**
 * `values` are a column's values in Parquet form (parquet.ts converts and checks them first); a string
 * column may come as UTF-8 (Utf8Strings).
 */
export function columnDataOf(column: Column, given: unknown[] | Utf8Strings): ColumnData {
  if (column.type === 'string') return isUtf8Strings(given) ? utf8ColumnData(given) : stringColumnData(given);
  // parquet.ts accepts UTF-8 for string columns only.
  const values = isUtf8Strings(given) ? stringsOf(given) : given;
  switch (column.type) {
    case 'int':
    case 'bigint':
    case 'date':
    case 'timestamp':
      return { data: values, statistics: statisticsOf(values, false) };
    case 'double':
      return { data: values, statistics: statisticsOf(values, true) };
    case 'array<string>':
      return { data: values, statistics: listStatisticsOf(values) };
    default:
      return { data: values, statistics: undefined };
  }
}

/**
 * An all-ASCII string column (UTF-8 length = string length, so the writer's page-size estimate and
 * dictionary choice see the same sizes from strings as from bytes, and UTF-16 order is byte order)
 * goes as the strings when values repeat (the writer dictionary-encodes them keyed by value and
 * encodes only the dictionary). A column of distinct values goes as its UTF-8 bytes in one buffer,
 * written as PLAIN pages by writePlainStringChunk, whenever the writer's dictionary sampling would
 * refuse it (it always does for distinct values); otherwise as views of one buffer (the writer would
 * call TextEncoder.encode once per value). A repeating column with a non-ASCII value goes through
 * utf8Column, statistics left to the writer.
 */
function stringColumnData(values: unknown[]): ColumnData {
  if (repeatsOften(values.length, (index) => values[index])) {
    if (!distinctAreAscii(values)) return { data: utf8Column(values), statistics: undefined };
    return { data: values, statistics: stringStatisticsOf(values) };
  }
  const joined = values.join('');
  const ascii = Buffer.byteLength(joined, 'utf8') === joined.length;
  const strings = ascii ? asciiStrings(values, joined) : utf8Strings(values);
  if (dictionarySampleRefuses(strings))
    return { data: values, statistics: utf8StringStatistics(strings), plain: strings };
  return ascii ? asciiViews(values, joined) : { data: utf8Column(values), statistics: undefined };
}

/** An ASCII column (`joined` is its values joined) as one Latin-1 buffer (one native call) and each value's end. */
function asciiStrings(values: readonly unknown[], joined: string): Utf8Strings {
  const ends = new Uint32Array(values.length);
  let at = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value === 'string') at += value.length;
    ends[index] = at;
  }
  return { bytes: Buffer.from(joined, 'latin1'), ends, values };
}

/** Any string column as UTF-8 (each value encoded on its own, as TextEncoder would) and each value's end. */
function utf8Strings(values: readonly unknown[]): Utf8Strings {
  let total = 0;
  for (const value of values) if (typeof value === 'string') total += Buffer.byteLength(value);
  const bytes = Buffer.allocUnsafe(total);
  const ends = new Uint32Array(values.length);
  let at = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value === 'string') at += bytes.write(value, at, 'utf8');
    ends[index] = at;
  }
  return { bytes, ends, values };
}

const NON_ASCII = /[\u0080-\uffff]/;

/** Every distinct string is ASCII (each tested once: the column repeats its values). */
function distinctAreAscii(values: readonly unknown[]): boolean {
  const seen = new Set<string>();
  let last: unknown;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value === last || typeof value !== 'string') continue;
    last = value;
    if (seen.has(value)) continue;
    if (NON_ASCII.test(value)) return false;
    seen.add(value);
  }
  return true;
}

/**
 * A string column given as UTF-8 (the gap list's titles): the choices stringColumnData makes for the
 * same values as strings, decoding only the sample that repeatsOften looks at; a column of distinct
 * values the writer would write PLAIN goes from these bytes, any other is decoded and goes as strings.
 */
function utf8ColumnData(strings: Utf8Strings): ColumnData {
  if (
    !repeatsOften(strings.ends.length, (index) => stringAt(strings, index)) &&
    dictionarySampleRefuses(strings)
  )
    return { data: [], statistics: utf8StringStatistics(strings), plain: strings };
  return stringColumnData(stringsOf(strings));
}

/** At most half as many distinct values as values in a sample spread over the column (a speed choice only). */
function repeatsOften(length: number, valueAt: (index: number) => unknown): boolean {
  const sample = Math.min(length, 256);
  const distinct = new Set<unknown>();
  for (let at = 0; at < sample; at++) distinct.add(valueAt(Math.floor((at * length) / sample)));
  return distinct.size * 2 <= sample;
}

/**
 * An ASCII column (`joined` is its values joined) as views of one buffer, one view per value, and its
 * statistics found on those bytes (comparing the JS strings instead costs several times more when they
 * are concatenations not yet flattened, as template-built strings are).
 */
function asciiViews(values: readonly unknown[], joined: string): ColumnData {
  const buffer = Buffer.from(joined, 'latin1');
  const views = new Array<unknown>(values.length);
  let at = 0;
  let nulls = 0;
  let min = -1;
  let minAt = 0;
  let max = -1;
  let maxAt = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (typeof value !== 'string') {
      views[index] = value;
      nulls++;
      continue;
    }
    const length = value.length;
    views[index] = new Uint8Array(buffer.buffer, buffer.byteOffset + at, length);
    if (min < 0 || compareBytes(buffer, at, length, minAt, (values[min] as string).length) < 0) {
      min = index;
      minAt = at;
    }
    if (max < 0 || compareBytes(buffer, at, length, maxAt, (values[max] as string).length) > 0) {
      max = index;
      maxAt = at;
    }
    at += length;
  }
  const statistics: ChunkStatistics = {
    min_value: min < 0 ? undefined : (values[min] as string),
    max_value: max < 0 ? undefined : (values[max] as string),
    null_count: BigInt(nulls),
    nan_count: undefined,
  };
  return { data: views, statistics };
}

/**
 * A chunk's statistics exactly as hyparquet-writer 0.17's getStatistics computes them for numbers and
 * bigints: nulls counted, NaN skipped (and counted for floats), the first smallest and first largest
 * value, a zero minimum written as -0 and a zero maximum as +0.
 */
export function statisticsOf(values: readonly unknown[], float: boolean): ChunkStatistics {
  let min: number | bigint | undefined;
  let max: number | bigint | undefined;
  let nulls = 0;
  let nans = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number | bigint | null | undefined;
    if (value === null || value === undefined) {
      nulls++;
      continue;
    }
    if (typeof value === 'number' && Number.isNaN(value)) {
      nans++;
      continue;
    }
    if (min === undefined || value < min) min = value;
    if (max === undefined || value > max) max = value;
  }
  if (min === 0) min = -0;
  if (max === 0) max = 0;
  return {
    min_value: min,
    max_value: max,
    null_count: BigInt(nulls),
    nan_count: float ? BigInt(nans) : undefined,
  };
}

/** A UTF-16 surrogate: where code-unit order (`<`) and UTF-8 byte order part. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * A list column's leaf statistics as the writer computes them over its levelled values: an empty or null
 * list is one null slot, as is a null element; min and max over the elements (each distinct list, kept
 * as the same array, visited once). Undefined (left to the writer) if an element has a surrogate.
 */
function listStatisticsOf(values: readonly unknown[]): ChunkStatistics | undefined {
  let min: string | undefined;
  let max: string | undefined;
  let nulls = 0;
  const seen = new Map<unknown, number>();
  for (let index = 0; index < values.length; index++) {
    const list = values[index] as readonly (string | null)[] | null | undefined;
    let listNulls = seen.get(list);
    if (listNulls === undefined) {
      listNulls = 0;
      if (list === null || list === undefined || list.length === 0) listNulls = 1;
      else
        for (const element of list) {
          if (element === null || element === undefined) listNulls++;
          else if (SURROGATE.test(element)) return undefined;
          else {
            if (min === undefined || element < min) min = element;
            if (max === undefined || element > max) max = element;
          }
        }
      // Shared lists are few (a campaign's target combinations); rows' own copies are not kept.
      if (seen.size < 64) seen.set(list, listNulls);
    }
    nulls += listNulls;
  }
  return { min_value: min, max_value: max, null_count: BigInt(nulls), nan_count: undefined };
}

/** The same for a column of ASCII strings (code unit order is byte order); a loop of its own keeps both monomorphic. */
function stringStatisticsOf(values: readonly unknown[]): ChunkStatistics {
  let min: string | undefined;
  let max: string | undefined;
  let nulls = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as string | null | undefined;
    if (value === null || value === undefined) {
      nulls++;
      continue;
    }
    if (min === undefined || value < min) min = value;
    if (max === undefined || value > max) max = value;
  }
  return { min_value: min, max_value: max, null_count: BigInt(nulls), nan_count: undefined };
}

/**
 * A string column as UTF-8 byte arrays, all views of one buffer, equal strings sharing one view. The
 * writer would otherwise call TextEncoder.encode once per value; it writes a byte array's bytes as they
 * are, and takes the same decisions (statistics in byte order, dictionary by content), so the file is
 * the same as from strings wherever a string's UTF-16 length equals its UTF-8 length (its page-size
 * estimate counts the one for strings, the other for bytes).
 */
function utf8Column(values: readonly unknown[]): unknown[] {
  const views = new Map<string, Uint8Array>();
  let total = 0;
  for (const value of values) if (typeof value === 'string') total += Buffer.byteLength(value);
  const buffer = Buffer.allocUnsafe(total);
  let at = 0;
  let last: string | undefined;
  let lastView: Uint8Array | undefined;
  const encoded = values.map((value) => {
    if (typeof value !== 'string') return value;
    if (value === last) return lastView;
    const known = views.get(value);
    if (known !== undefined) {
      last = value;
      lastView = known;
      return known;
    }
    const length = buffer.write(value, at, 'utf8');
    const view = new Uint8Array(buffer.buffer, buffer.byteOffset + at, length);
    at += length;
    views.set(value, view);
    last = value;
    lastView = view;
    return view;
  });
  return withOwnBounds(encoded);
}

/**
 * The column with its smallest and largest byte arrays (unsigned byte order, the order of Parquet
 * statistics) given bytes of their own. hyparquet-writer keeps each row group's min and max until it
 * writes the footer, and a view keeps its whole buffer alive: ≈ 100 MB of row-group buffers at 1M rows.
 * Equal strings share one view, so replacing that view replaces every occurrence.
 */
function withOwnBounds(encoded: unknown[]): unknown[] {
  let min: Uint8Array | undefined;
  let max: Uint8Array | undefined;
  for (const value of encoded) {
    if (!(value instanceof Uint8Array)) continue;
    if (min === undefined || Buffer.compare(value, min) < 0) min = value;
    if (max === undefined || Buffer.compare(value, max) > 0) max = value;
  }
  if (min === undefined || max === undefined) return encoded;
  const own = new Map<unknown, Uint8Array>([[min, min.slice()]]);
  if (max !== min) own.set(max, max.slice());
  for (let index = 0; index < encoded.length; index++) {
    const copy = own.get(encoded[index]);
    if (copy !== undefined) encoded[index] = copy;
  }
  return encoded;
}
