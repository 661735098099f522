import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sharedSourceCursor } from '#domain/diff.ts';
import { emptyGapColumns, sortedBySource } from '#domain/gap-columns.ts';
import { type Ledger, ledgerColumnsOf } from '#domain/ledger.ts';
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
    ['too few values', lines('["a","a","open"]'), /9 values/],
    ['not gzip', new TextEncoder().encode('hello'), /not readable/],
  ])('refuses %s', async (_, bytes, message) => {
    const error = await decodeLedger(bytes).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LakeDecodeError);
    expect(String(error)).toMatch(message);
  });

  it('refuses a legacy ledger that does not fit LedgerSchema', async () => {
    const bad = { ...ledger, entries: [entry('a.example'), entry('a.example')] };
    await expect(decodeLedger(encodeGzipJson(bad))).rejects.toThrow(LakeDecodeError);
  });
});
