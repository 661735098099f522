/**
 * Value rules shared by every format: the zod schema of a column, and the conversions between the
 * contract's string forms (dates 'YYYY-MM-DD', timestamps ISO-8601 UTC) and what the files hold.
 */
import * as z from 'zod';
import type { Column, ColumnType } from './schema.ts';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const DAY_MS = 86_400_000;

/**
 * The Glue / Athena (Hive DDL) type of a column: the contract's names are Hive's, so this is the
 * identity; it exists so infra and docs do not hand-copy type strings.
 */
export function athenaTypeOf(column: Column): string {
  return column.type;
}

/** The zod schema of one column's value (null allowed when the column is nullable). */
export function zodForColumn(column: Column): z.ZodType {
  const value = zodForType(column);
  return column.nullable === true ? value.nullable() : value;
}

function zodForType(column: Column): z.ZodType {
  switch (column.type) {
    case 'string':
      return z.string();
    case 'int':
      return z.number().int().min(INT32_MIN).max(INT32_MAX);
    case 'bigint':
      return z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
    case 'double':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'date':
      return z.iso.date();
    case 'timestamp':
      return z.iso.datetime();
    case 'array<string>':
      return z.array(z.string());
  }
}

/** Never matches: the stand-in if zod ever stops exposing a format's pattern (every value then goes to zod). */
const NEVER = /(?!)/;
/**
 * The exact patterns zod's iso.date() and iso.datetime() test (their whole check), for the loops below;
 * taken on first use, so a cold start that writes no snapshot builds neither schema.
 */
let isoPatterns: { date: RegExp; datetime: RegExp } | undefined;
const isoPattern = () =>
  (isoPatterns ??= {
    date: z.iso.date().def.pattern ?? NEVER,
    datetime: z.iso.datetime().def.pattern ?? NEVER,
  });

function isStringArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  // An index loop, not every(): every() skips the holes of a sparse array, zod reads them as undefined.
  for (let index = 0; index < value.length; index++) {
    if (typeof value[index] !== 'string') return false;
  }
  return true;
}

/**
 * Per column type, a plain test that accepts exactly what zodForColumn's value schema accepts, for loops
 * over a whole snapshot where a zod parse per row cost most of the write. It must never be looser than
 * zod; callers send whatever it refuses through zod, which has the final word and words the error.
 */
export const fitsColumnType: Readonly<Record<ColumnType, (value: unknown) => boolean>> = {
  string: (value) => typeof value === 'string',
  int: (value) => Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX,
  bigint: (value) => Number.isSafeInteger(value),
  double: (value) => Number.isFinite(value),
  boolean: (value) => typeof value === 'boolean',
  date: (value) => typeof value === 'string' && isoPattern().date.test(value),
  timestamp: (value) => typeof value === 'string' && isoPattern().datetime.test(value),
  'array<string>': isStringArray,
};

/**
 * The index of the first of values[0..limit) that does not fit the column type (null fits a nullable
 * column), or limit: fitsColumnType's checks, with a loop of its own for each common type so the check
 * is inlined (one shared loop calling the check through the table cost ≈ 18 ns a value: 0.3 s at 1M
 * prospects, bench/README.md 4b). Lists repeat as the very same array (a prospect's matched targets are
 * shared), so one equal to the list checked just before is not checked again.
 */
export function firstMisfit(
  type: ColumnType,
  values: readonly unknown[],
  nullable: boolean,
  limit: number,
): number {
  switch (type) {
    case 'string':
      for (let index = 0; index < limit; index++) {
        const value = values[index];
        if (typeof value !== 'string' && !(value === null && nullable)) return index;
      }
      return limit;
    case 'double':
      for (let index = 0; index < limit; index++) {
        const value = values[index];
        if (!Number.isFinite(value) && !(value === null && nullable)) return index;
      }
      return limit;
    case 'int':
      for (let index = 0; index < limit; index++) {
        const value = values[index];
        if (value === null ? !nullable : !fitsColumnType.int(value)) return index;
      }
      return limit;
    default: {
      const fits = fitsColumnType[type];
      let checked: unknown;
      for (let index = 0; index < limit; index++) {
        const value = values[index];
        if (value === checked && value !== undefined) continue;
        if (value === null ? !nullable : !fits(value)) return index;
        checked = value;
      }
      return limit;
    }
  }
}

/** A strict zod object with exactly the given columns, in their order. */
export function rowSchemaOf(columns: readonly Column[]) {
  return z.strictObject(Object.fromEntries(columns.map((column) => [column.name, zodForColumn(column)])));
}

/** 'YYYY-MM-DD' → days since 1970-01-01 (Parquet DATE). */
export function dateToEpochDays(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** Days since 1970-01-01 → 'YYYY-MM-DD'. */
export function epochDaysToDate(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/** Any JS Date → 'YYYY-MM-DD' of its UTC day. */
export function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * ISO-8601 UTC → 'YYYY-MM-DD HH:MM:SS.sss', the one text form both Athena's JSON SerDe (`timestamp`)
 * and DuckDB's JSON reader parse as a timestamp. ISO 'T'/'Z' forms are not read by the Hive SerDe.
 */
export function isoToLakeTimestamp(iso: string): string {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) throw new RangeError(`not a timestamp: ${iso}`);
  return new Date(millis).toISOString().replace('T', ' ').replace('Z', '');
}

const LAKE_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)$/;

/** 'YYYY-MM-DD HH:MM:SS[.fff]' (UTC) or ISO-8601 → canonical ISO 'YYYY-MM-DDTHH:MM:SS.sssZ'; undefined if neither. */
export function lakeTimestampToIso(text: string): string | undefined {
  const match = LAKE_TIMESTAMP.exec(text);
  const millis = match
    ? Date.parse(`${match[1]}T${match[2]}Z`)
    : /T.*(Z|[+-]\d{2}:?\d{2})$/.test(text)
      ? Date.parse(text)
      : Number.NaN;
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}

/** A row as one JSON-lines record of the lake: keys in column order, timestamps in the lake's text form. */
export function toLakeRecord(columns: readonly Column[], row: Readonly<Record<string, unknown>>) {
  const record: Record<string, unknown> = {};
  for (const column of columns) {
    const value = row[column.name];
    record[column.name] =
      column.type === 'timestamp' && typeof value === 'string' ? isoToLakeTimestamp(value) : value;
  }
  return record;
}

/**
 * A JSON-lines record read back: its timestamp columns as ISO-8601 UTC (a value in neither form is left
 * as it is, for the row's schema to refuse), every other key untouched.
 */
export function fromLakeRecord(columns: readonly Column[], record: object) {
  const row: Record<string, unknown> = { ...record };
  for (const column of columns) {
    const value = row[column.name];
    if (column.type === 'timestamp' && typeof value === 'string')
      row[column.name] = lakeTimestampToIso(value) ?? value;
  }
  return row;
}

/** One line naming every failing field, for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`).join('; ');
}
