/**
 * The campaign ledger file, `state/<campaign>/<run_id>.json.gz`: gzip-compressed JSON lines, read and
 * written as a stream. The first line is a header, then one entry per line as a JSON array, sorted by
 * source, each source once:
 *
 *   {"format":"linkgap-ledger/2","configHash":"…","runId":"…","runDate":"2026-02-01"}
 *   ["a.example","a.example","open","2026-01-01","2026-02-01",2,null,41,1]
 *
 * Entries are checked with plain code (ledgerEntryProblem), not a zod parse each. A ledger written
 * before this format (one gzip JSON object, `{"configHash":…,"entries":[…]}`) is still read, whole,
 * through LedgerSchema. Bytes are deterministic: the same entries give the same file.
 */
import { Readable } from 'node:stream';
import { createGunzip, createGzip, gunzipSync } from 'node:zlib';
import { isIsoDate } from '#domain/dates.ts';
import {
  compareSources,
  type Ledger,
  type LedgerColumns,
  LedgerColumnsBuilder,
  LedgerDatesError,
  type LedgerEntry,
  type LedgerHeader,
  LedgerSchema,
  ledgerColumnsOf,
  ledgerEntryProblem,
} from '#domain/ledger.ts';
import { LakeDecodeError } from './errors.ts';
import { decodeJson } from './json.ts';

export const LEDGER_FORMAT = 'linkgap-ledger/2';
const FORMAT_PREFIX = `{"format":"${LEDGER_FORMAT}"`;
/** Lines are handed to gzip in batches of about this many characters. */
const BATCH_CHARS = 256 * 1024;

function* ledgerText(header: LedgerHeader, entries: Iterable<LedgerEntry>): Generator<string> {
  const { configHash, runId, runDate } = header;
  let batch = `${JSON.stringify({ format: LEDGER_FORMAT, configHash, runId, runDate })}\n`;
  for (const e of entries) {
    batch += `${JSON.stringify([e.source, e.sourceRootDomain, e.status, e.firstSeenDate, e.lastSeenDate, e.runsSeen, e.closedDate, e.domainAuthority, e.matchedCount])}\n`;
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = '';
    }
  }
  if (batch.length > 0) yield batch;
}

/** The ledger file's bytes, chunk by chunk, from entries in source order. */
export function encodeLedgerStream(
  header: LedgerHeader,
  entries: Iterable<LedgerEntry>,
): AsyncIterable<Uint8Array> {
  return Readable.from(ledgerText(header, entries), { objectMode: false }).pipe(createGzip());
}

/** The whole file at once (tests, small ledgers). */
export async function encodeLedger(ledger: Ledger): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const sorted = [...ledger.entries].sort((a, b) => compareSources(a.source, b.source));
  for await (const chunk of encodeLedgerStream(ledger, sorted)) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Reads a ledger file (this format or the one before it) into sorted columns; LakeDecodeError when it
 * is not sound. `shared` maps each source, in source order, to an equal string the caller already holds
 * (the run's gap list), so a source listed in both is kept once (bench/README.md, 3d).
 */
export async function decodeLedger(
  bytes: Uint8Array,
  shared: (source: string) => string = (source) => source,
): Promise<LedgerColumns> {
  let legacy = false;
  const lines = linesOf(Readable.from([bytes]).pipe(createGunzip()), (first) => {
    legacy = !first.startsWith(FORMAT_PREFIX);
    return !legacy;
  });
  let columns: LedgerColumns | undefined;
  try {
    columns = await readLines(lines, shared);
  } catch (error) {
    if (error instanceof LakeDecodeError) throw error;
    throw new LakeDecodeError(
      `ledger: not readable (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (legacy || columns === undefined) return ledgerColumnsOf(decodeJson(gunzipSync(bytes), LedgerSchema));
  return columns;
}

/** Lines of UTF-8 text; stops (without reading on) when `keepGoing` refuses the first chunk. */
async function* linesOf(stream: AsyncIterable<Buffer>, keepGoing: (first: string) => boolean) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  let first = true;
  for await (const chunk of stream) {
    const text = rest + decoder.decode(chunk, { stream: true });
    if (first && text.length >= FORMAT_PREFIX.length) {
      first = false;
      if (!keepGoing(text)) return;
    }
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    yield* lines;
  }
  rest += decoder.decode();
  if (first && !keepGoing(rest)) return;
  if (rest.length > 0) yield rest;
}

async function readLines(
  lines: AsyncIterable<string>,
  shared: (source: string) => string,
): Promise<LedgerColumns | undefined> {
  let builder: LedgerColumnsBuilder | undefined;
  // Dates repeat on every line: each distinct one is checked once, then known to the builder.
  const isDate = (value: string) => builder?.knowsDate(value) === true || isIsoDate(value);
  let previous: string | undefined;
  let number = 0;
  for await (const line of lines) {
    number++;
    if (builder === undefined) {
      builder = new LedgerColumnsBuilder(headerOf(line));
      continue;
    }
    const entry = entryOf(line, number, shared);
    const problem = ledgerEntryProblem(entry, previous, isDate);
    if (problem) throw new LakeDecodeError(`ledger line ${number}: ${problem}`);
    try {
      builder.push(entry);
    } catch (error) {
      if (error instanceof LedgerDatesError)
        throw new LakeDecodeError(`ledger line ${number}: ${error.message}`);
      throw error;
    }
    previous = entry.source;
  }
  return builder?.columns();
}

function headerOf(line: string): LedgerHeader {
  const header = JSON.parse(line) as Record<string, unknown>;
  const { configHash, runId, runDate } = header;
  if (
    typeof configHash !== 'string' ||
    !configHash ||
    typeof runId !== 'string' ||
    !runId ||
    typeof runDate !== 'string' ||
    !isIsoDate(runDate)
  )
    throw new LakeDecodeError('ledger header: needs configHash, runId and a runDate');
  return { configHash, runId, runDate };
}

function entryOf(line: string, number: number, shared: (source: string) => string): LedgerEntry {
  let values: unknown;
  try {
    values = JSON.parse(line);
  } catch (error) {
    throw new LakeDecodeError(`ledger line ${number}: not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(values) || values.length !== 9)
    throw new LakeDecodeError(`ledger line ${number}: not an entry of 9 values`);
  const [parsed, root, status, first, last, runsSeen, closed, authority, matched] = values;
  const source = typeof parsed === 'string' ? shared(parsed) : parsed;
  return {
    source,
    sourceRootDomain: root === source ? source : root,
    status,
    firstSeenDate: first,
    lastSeenDate: last,
    runsSeen,
    closedDate: closed,
    domainAuthority: authority,
    matchedCount: matched,
  } as LedgerEntry;
}
