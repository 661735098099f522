import { describe, expect, it } from 'vitest';
import { LedgerSchema } from '#domain/ledger.ts';
import { aLedger, aLedgerEntry } from '#test/support/builders.ts';

describe('LedgerSchema', () => {
  it('accepts a ledger the diff writes', () => {
    const ledger = aLedger([
      aLedgerEntry({ source: 'a.example' }),
      aLedgerEntry({ source: 'b.example', status: 'closed', closedDate: '2025-02-01' }),
    ]);
    expect(LedgerSchema.parse(JSON.parse(JSON.stringify(ledger)))).toEqual(ledger);
  });

  it.each<[string, unknown, string]>([
    ['an unknown status', aLedger([{ ...aLedgerEntry(), status: 'gone' as never }]), 'entries.0.status'],
    ['a bad date', aLedger([aLedgerEntry({ firstSeenDate: '2025-02-30' })]), 'entries.0.firstSeenDate'],
    ['runsSeen 0', aLedger([aLedgerEntry({ runsSeen: 0 })]), 'entries.0.runsSeen'],
    ['a runsSeen beyond 32 bits', aLedger([aLedgerEntry({ runsSeen: 2 ** 32 })]), 'entries.0.runsSeen'],
    ['a source listed twice', aLedger([aLedgerEntry(), aLedgerEntry()]), 'entries.1.source'],
    [
      'first seen after last seen',
      aLedger([aLedgerEntry({ firstSeenDate: '2025-03-01', lastSeenDate: '2025-02-01' })]),
      'entries.0.firstSeenDate',
    ],
    ['a missing configHash', { ...aLedger([]), configHash: undefined }, 'configHash'],
    ['a bad runDate', aLedger([], { runDate: '1 March' }), 'runDate'],
  ])('rejects %s', (_label, input, path) => {
    const result = LedgerSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
