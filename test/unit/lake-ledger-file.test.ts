import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sharedSourceCursor } from '#domain/diff.ts';
import { emptyGapColumns, sortedBySource } from '#domain/gap-columns.ts';
import { type Ledger, ledgerColumnsOf, ledgerEntryAt } from '#domain/ledger.ts';
import { LakeDecodeError } from '#lake/errors.ts';
import { encodeGzipJson } from '#lake/json.ts';
import { decodeLedger, encodeLedger } from '#lake/ledger-file.ts';

const entry = (source: string, status: 'open' | 'closed' = 'open') => ({
  source,
  sourceRootDomain: source.replace(/^www\./, ''),
  status,
  firstSeenDate: '2026-01-01',
  lastSeenDate: '2026-02-01',
  runsSeen: 2,
  closedDate: status === 'closed' ? '2026-02-01' : null,
  domainAuthority: 41.5,
  matchedCount: 1,
});
const ledger: Ledger = {
  configHash: 'h1',
  runId: 'run-2',
  runDate: '2026-02-01',
  entries: [entry('www.b.example', 'closed'), entry('a.example'), entry('c.example')],
};

describe('the streamed ledger file', () => {
  it('round-trips into sorted columns, with the same bytes every time', async () => {
    const bytes = await encodeLedger(ledger);
    expect(await encodeLedger(ledger)).toEqual(bytes);
    expect(await decodeLedger(bytes)).toEqual(ledgerColumnsOf(ledger));
  });

  it('reads every value back exactly from its typed columns (codes for statuses and dates)', async () => {
    const columns = await decodeLedger(await encodeLedger(ledger));
    const sorted = [...ledger.entries].sort((a, b) => (a.source < b.source ? -1 : 1));
    expect(columns.source.map((_, index) => ledgerEntryAt(columns, index))).toEqual(sorted);
    expect(columns.status).toBeInstanceOf(Uint8Array);
    expect(columns.firstSeenDate).toBeInstanceOf(Uint16Array);
    expect(columns.dates).toEqual(['2026-01-01', '2026-02-01']);
  });

  it('hands each source, in source order, to `shared` and keeps what it returns', async () => {
    const asked: string[] = [];
    const columns = await decodeLedger(await encodeLedger(ledger), (source) => {
      asked.push(source);
      return source;
    });
    expect(asked).toEqual(['a.example', 'c.example', 'www.b.example']);
    expect(columns).toEqual(ledgerColumnsOf(ledger));
  });

  it('shares sources with a gap list through a merge cursor (equal values, in order)', async () => {
    const current = emptyGapColumns();
    current.source.push('c.example', 'zz.example', 'a.example');
    const cursor = sharedSourceCursor(current, sortedBySource(current));
    expect(['a.example', 'b.example', 'c.example', 'www.b.example', 'zz.example'].map(cursor)).toEqual([
      'a.example',
      'b.example',
      'c.example',
      'www.b.example',
      'zz.example',
    ]);
  });

  it('reads a ledger written before this format (one gzip JSON object)', async () => {
    expect(await decodeLedger(encodeGzipJson(ledger))).toEqual(ledgerColumnsOf(ledger));
  });

  it('reads an empty ledger', async () => {
    const empty = { ...ledger, entries: [] };
    expect(await decodeLedger(await encodeLedger(empty))).toEqual(ledgerColumnsOf(empty));
  });

  const lines = (...rest: string[]) =>
    gzipSync(
      `${['{"format":"linkgap-ledger/2","configHash":"h","runId":"r","runDate":"2026-02-01"}', ...rest].join('\n')}\n`,
    );
  it.each([
    [
      'a source listed twice',
      lines(
        '["a","a","open","2026-01-01","2026-02-01",1,null,1,1]',
        '["a","a","open","2026-01-01","2026-02-01",1,null,1,1]',
      ),
      /line 3: a is not after a/,
    ],
    [
      'entries out of order',
      lines(
        '["b","b","open","2026-01-01","2026-02-01",1,null,1,1]',
        '["a","a","open","2026-01-01","2026-02-01",1,null,1,1]',
      ),
      /line 3/,
    ],
    [
      'an unknown status',
      lines('["a","a","gone","2026-01-01","2026-02-01",1,null,1,1]'),
      /unknown status gone/,
    ],
    ['a bad date', lines('["a","a","open","2026-13-01","2026-02-01",1,null,1,1]'), /dates/],
    [
      'first seen after last seen',
      lines('["a","a","open","2026-03-01","2026-02-01",1,null,1,1]'),
      /firstSeenDate/,
    ],
    ['runsSeen 0', lines('["a","a","open","2026-01-01","2026-02-01",0,null,1,1]'), /runsSeen/],
    [
      'a runsSeen beyond 32 bits',
      lines('["a","a","open","2026-01-01","2026-02-01",4294967296,null,1,1]'),
      /line 2: runsSeen must be a whole number from 1 to 4294967295/,
    ],
    [
      'a matchedCount beyond 32 bits',
      lines('["a","a","open","2026-01-01","2026-02-01",1,null,1,4294967296]'),
      /line 2: matchedCount/,
    ],
    ['a bad closedDate', lines('["a","a","closed","2026-01-01","2026-02-01",1,"soon",1,1]'), /closedDate/],
    ['too few values', lines('["a","a","open"]'), /9 values/],
    ['not gzip', new TextEncoder().encode('hello'), /not readable/],
  ])('refuses %s', async (_, bytes, message) => {
    const error = await decodeLedger(bytes).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LakeDecodeError);
    expect(String(error)).toMatch(message);
  });

  it('refuses a ledger with more distinct dates than a 16-bit date code holds, with the line', async () => {
    const day = (n: number) => new Date(Date.UTC(1900, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
    const entries = Array.from(
      { length: 0xffff / 2 + 1 },
      (_, n) =>
        `["s${String(n).padStart(6, '0')}","r","open","${day(2 * n)}","${day(2 * n + 1)}",1,null,1,1]`,
    );
    const error = await decodeLedger(lines(...entries)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LakeDecodeError);
    expect(String(error)).toMatch(/ledger line 32769: a ledger holds at most 65535 distinct dates/);
  });

  it('refuses a legacy ledger that does not fit LedgerSchema', async () => {
    const bad = { ...ledger, entries: [entry('a.example'), entry('a.example')] };
    await expect(decodeLedger(encodeGzipJson(bad))).rejects.toThrow(LakeDecodeError);
  });
});
