/**
 * Downloads for people: CSV that Excel opens cleanly and JSON Lines for tools.
 *
 * CSV rules: RFC 4180 (fields with a comma, quote, CR or LF are quoted, quotes doubled), CRLF line
 * ends, a header row of column names, and a UTF-8 byte order mark first so Excel does not read the
 * file as the local code page (titles and IDN sources are often non-ASCII). Arrays become one
 * readable cell joined by '; '; null and undefined become an empty cell.
 *
 * Formula injection: page titles and URLs come from third-party sites. A text cell that starts with
 * '=', '+', '-', '@', a tab or a carriage return would be evaluated by a spreadsheet as a formula,
 * and so would one that starts with NUL (some spreadsheets drop NUL while importing), so such a cell gets a leading apostrophe ("'=HYPERLINK(...)"), which spreadsheets show as text.
 * Numbers are written as they are (a negative number is not a formula), so a guarded cell differs
 * from the lake value by exactly that apostrophe.
 */
import type { Column } from './schema.ts';

export const CSV_BOM = '\uFEFF';
// biome-ignore lint/suspicious/noControlCharactersInRegex: a leading NUL is one of the dangerous starts.
const FORMULA_START = /^[=+\-@\t\r\u0000]/;
const NEEDS_QUOTES = /[",\r\n]/;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return guardFormula(value.map((item) => cellText(item)).join('; '));
  if (typeof value === 'object') return guardFormula(JSON.stringify(value));
  return guardFormula(String(value));
}

/** Prefix an apostrophe to text a spreadsheet would run as a formula. */
export function guardFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function quote(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The CSV of rows with the given columns (in their order), BOM first, CRLF after every line. */
export function toCsv(columns: readonly Column[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map((column) => quote(guardFormula(column.name))).join(',')];
  for (const row of rows) {
    lines.push(columns.map((column) => quote(cellText(row[column.name]))).join(','));
  }
  return `${CSV_BOM}${lines.map((line) => `${line}\r\n`).join('')}`;
}

/** One JSON object per line, '\n' after each (empty string for no rows). bigint becomes a number. */
export function toJsonLines(rows: readonly unknown[]): string {
  return rows
    .map(
      (row) =>
        `${JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? Number(value) : value))}\n`,
    )
    .join('');
}
