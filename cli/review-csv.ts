/**
 * The review queue as CSV (`linkgap review export` / `import`). Export writes the current gap list with
 * each prospect's review through shared/lake/csv.ts (BOM, CRLF, formula guard). Import reads back what
 * a spreadsheet saved with csv-parse (a maintained RFC 4180 parser: BOM, CRLF, quoted new lines and
 * quotes are its job, not ours) and validates every row before anything is applied.
 */
import { parse } from 'csv-parse/sync';
import {
  MAX_NOTE_LENGTH,
  parseReviewCategory,
  parseReviewState,
  type Review,
  type ReviewEdit,
} from '#domain/review.ts';
import { toCsv } from '#lake/csv.ts';
import { type Column, PROSPECT_COLUMNS, type ProspectRow } from '#lake/schema.ts';
import type { ReviewChangeRequest } from '#pipeline/review-edits.ts';

/** A prospects contract column under its own name (its type and comment come from the contract). */
const prospectColumn = (name: string): Column => {
  const column = PROSPECT_COLUMNS.find((candidate) => candidate.name === name);
  if (!column) throw new Error(`no prospects column ${name}`);
  return column;
};

/** The export's columns, in order; `version` and `updated_at` let the import refuse stale rows. */
export const QUEUE_COLUMNS: readonly Column[] = [
  prospectColumn('source'),
  { name: 'url', type: 'string', comment: 'https:// link to the source' },
  ...['title', 'domain_authority', 'spam_score', 'matched_targets', 'matched_count', 'score'].map(
    prospectColumn,
  ),
  ...['status', 'first_seen_date', 'runs_seen'].map(prospectColumn),
  { name: 'category', type: 'string', nullable: true, comment: 'Review category (edit me)' },
  { name: 'state', type: 'string', comment: 'Review state (edit me)' },
  { name: 'note', type: 'string', comment: 'Review note (edit me)' },
  { name: 'version', type: 'int', comment: 'Review version when exported (leave as is)' },
  { name: 'updated_at', type: 'string', comment: 'Review last changed (leave as is)' },
];

export interface QueueRow {
  prospect: ProspectRow;
  review: Review | undefined;
}

export function queueCsv(rows: readonly QueueRow[]): string {
  return toCsv(
    QUEUE_COLUMNS,
    rows.map(({ prospect, review }) =>
      guardApostrophes({
        ...prospect,
        url: `https://${prospect.source}`,
        category: review?.category ?? null,
        state: review?.state ?? 'to_review',
        note: review?.note ?? '',
        version: review?.version ?? 0,
        updated_at: review?.updatedAt ?? '',
      }),
    ),
  );
}

/**
 * The queue's half of the guard that toCsv does not do: a text cell that already starts with an
 * apostrophe gets one more, so that the import can tell "'-) wink" written by a person from the
 * "-) wink" toCsv guarded as "'-) wink". With it, `unguard` below is the exact inverse of the export
 * for every text: it strips one apostrophe before a formula start or another apostrophe, and the
 * export puts one there exactly when the text starts with either.
 */
function guardApostrophes(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([name, value]) => [
      name,
      typeof value === 'string' && value.startsWith("'") ? `'${value}` : value,
    ]),
  );
}

/**
 * The largest queue file an import reads. An exported row is ~120 bytes (a 2000-character note makes
 * it ~2 KB), so 20 MB holds ~150,000 plain rows or ~10,000 fully annotated ones, far above a real
 * review queue; the cap keeps a wrong or hostile file from taking the import's memory (a 50 MB file
 * took ~1 GB: csv-parse keeps each record with its raw text).
 */
export const MAX_QUEUE_FILE_BYTES = 20 * 2 ** 20;
/** The most characters csv-parse holds for one row: a note is at most 2000, a title a few hundred. */
const MAX_ROW_CHARACTERS = 100_000;

/** A file that cannot be imported: every problem, the first one in the message. */
export class QueueImportError extends Error {
  override name = 'QueueImportError';
  constructor(
    file: string,
    readonly problems: readonly string[],
  ) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    super(`${file}: ${problems[0]}${more}; nothing was imported`);
  }
}

// The starts csv.ts guards, an apostrophe (guardApostrophes), and \n: the import reads a guarded
// leading \r as \n (readRecords makes every line end \n), so "'\n" is a guarded CR.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same dangerous starts csv.ts guards.
const GUARDED = /^'[=+\-@\t\r\n\u0000']/;
/**
 * The export guards formula-like cells (toCsv) and cells that start with an apostrophe (guardApostrophes)
 * with an apostrophe; a spreadsheet keeps it. Undo that, and only that.
 */
const unguard = (text: string) => (GUARDED.test(text) ? text.slice(1) : text);

interface ParsedRecord {
  record: Record<string, string>;
  info: { lines: number };
  raw: string;
}

/**
 * The change requests of a queue file, or QueueImportError naming the line, column and reason of every
 * bad row. `prospectSource` gives the campaign's source as listed for a typed one (see ReviewQueue).
 */
export function parseQueueCsv(
  file: string,
  text: string,
  prospectSource: (typed: string) => string | undefined,
): ReviewChangeRequest[] {
  const { header, records } = readRecords(file, text);
  if (header === undefined)
    throw new QueueImportError(file, ['is empty: expected a header line with at least "source" and "state"']);
  const problems: string[] = headerProblems(header);
  if (problems.length > 0) throw new QueueImportError(file, problems);
  const requests: ReviewChangeRequest[] = [];
  const seen = new Map<string, number>();
  for (const { record: asRead, info, raw } of records) {
    // Every cell the export guarded (a source or title starting with '=' too, not only the note).
    const record = Object.fromEntries(Object.entries(asRead).map(([name, cell]) => [name, unguard(cell)]));
    // info.lines is the line the record ends on; quoted new lines make it span lines, and raw also
    // holds the empty lines skipped before it.
    const inner = raw.replace(/^\n+/, '').replace(/\n$/, '');
    const line = info.lines - (inner.match(/\n/g)?.length ?? 0);
    const problem = (column: string, reason: string) =>
      problems.push(`line ${line}, column ${column}: ${reason}`);
    const source = (record.source ?? '').trim();
    if (source === '') {
      problem('source', 'is empty');
      continue;
    }
    const listed = prospectSource(source);
    const key = listed ?? source;
    if (seen.has(key)) problem('source', `${source} is also on line ${seen.get(key)}`);
    seen.set(key, line);
    if (listed === undefined) problem('source', `${source} is not a prospect of this campaign`);
    const edit: ReviewEdit = {};
    const state = parseReviewState(record.state ?? '');
    if ((record.state ?? '').trim() === '') edit.state = 'to_review';
    else if (state === undefined)
      problem(
        'state',
        `${JSON.stringify(record.state)} is not a state (to_review, approved, contacted, won, rejected, do_not_contact)`,
      );
    else edit.state = state;
    if ('category' in record) {
      const category = parseReviewCategory(record.category ?? '');
      if (category === undefined)
        problem(
          'category',
          `${JSON.stringify(record.category)} is not a category (resource_page, editorial, directory, partnership, other, or empty)`,
        );
      else edit.category = category;
    }
    if ('note' in record) {
      const note = record.note ?? '';
      if (note.length > MAX_NOTE_LENGTH) problem('note', `is longer than ${MAX_NOTE_LENGTH} characters`);
      else edit.note = note;
    }
    let seenVersion: number | undefined;
    const versionText = (record.version ?? '').trim();
    if (versionText !== '') {
      seenVersion = Number(versionText);
      if (!Number.isInteger(seenVersion) || seenVersion < 0)
        problem('version', `${JSON.stringify(versionText)} is not a version (leave it as exported)`);
    }
    requests.push({ source: key, edit, ...(seenVersion === undefined ? {} : { seenVersion }) });
  }
  if (problems.length > 0) throw new QueueImportError(file, problems);
  return requests;
}

/** The columns an import reads; any other column is the spreadsheet's or the CRM's own business. */
const READ_COLUMNS = ['source', 'state', 'category', 'note', 'version'];

/** The records of a queue file, and its header as written (trimmed; undefined: the file has none). */
function readRecords(file: string, text: string): { header: string[] | undefined; records: ParsedRecord[] } {
  let header: string[] | undefined;
  try {
    // Line ends become \n first: csv-parse miscounts lines on CRLF inside quoted cells, and a note
    // is the same note whichever line ends the spreadsheet wrote.
    const records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      delimiter: separatorOf(text),
      max_record_size: MAX_ROW_CHARACTERS,
      columns: (names: string[]) => {
        header = names.map((name) => name.trim());
        return header.map((name) => name.toLowerCase());
      },
      skip_empty_lines: true,
      info: true,
      raw: true,
    }) as ParsedRecord[];
    return { header, records };
  } catch (error) {
    throw new QueueImportError(file, [`not a readable CSV: ${(error as Error).message}`]);
  }
}

/**
 * The separator the spreadsheet wrote, from the header line: `,` (the export's), `;` (Excel where the
 * decimal mark is a comma writes its "CSV" so), or a tab (Excel's "Unicode text"). Read from the header
 * alone, not guessed from the data as csv-parse's delimiter_auto does (it also weighs '.', '/' and ':',
 * which every source holds).
 */
function separatorOf(text: string): string {
  const headerLine = /^\uFEFF?[\r\n]*([^\r\n]*)/.exec(text)?.[1] ?? '';
  if (headerLine.includes(',')) return ',';
  if (headerLine.includes(';')) return ';';
  return headerLine.includes('\t') ? '\t' : ',';
}

/**
 * The text of a queue file's bytes: UTF-16 (little or big endian) by its byte order mark, as Excel's
 * "Unicode text" saves; else UTF-8 (with or without a BOM) when every byte is valid UTF-8; else
 * Windows-1252, what Excel's plain "CSV" (comma or `;`) is on Windows. A file in Windows-1252 is
 * almost never valid UTF-8 (an accented letter alone is an invalid byte), so the whole file is
 * read in one encoding, never a replacement character written into a note. The BOM is not text.
 */
export function decodeQueueFile(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    // Node's TextDecoder reads UTF-16BE only with full ICU: swap each pair to little endian instead.
    const swapped = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
    return new TextDecoder('utf-16le').decode(swapped.swap16());
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

/**
 * Windows-1252 is Latin-1 but for 0x80-0x9F, which hold punctuation (– — “ ” ‘ ’ … €) instead of
 * C1 controls. Node's TextDecoder('windows-1252') decodes them as Latin-1 in Node 20 (U+0096 for an
 * en dash), so the table is ours: the WHATWG Encoding Standard's, whose five unassigned bytes (0x81,
 * 0x8D, 0x8F, 0x90, 0x9D) stay the C1 control of the same number.
 */
const WINDOWS_1252_80_9F =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\u0080-\u009F]/g, (c1) => WINDOWS_1252_80_9F.charAt(c1.charCodeAt(0) - 0x80));
}

/**
 * A header is ambiguous when a column the import reads appears twice in any case (a CRM export adds
 * `State` after `state`): csv-parse would silently keep the last, turning an approval into a rejection.
 */
function headerProblems(header: readonly string[]): string[] {
  const problems: string[] = [];
  for (const column of READ_COLUMNS) {
    const named = header.filter((name) => name.toLowerCase() === column);
    if (named.length > 1)
      problems.push(
        `has ${named.length === 2 ? 'two' : named.length} columns named "${column}" (${named.map((name) => JSON.stringify(name)).join(' and ')}): delete or rename one`,
      );
  }
  for (const column of ['source', 'state'])
    if (!header.some((name) => name.toLowerCase() === column)) problems.push(`has no "${column}" column`);
  return problems;
}
