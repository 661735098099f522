/**
 * The line `linkgap run` and `linkgap demo` end with (cli/local-runner.ts unfinishedLine): a signal
 * that arrives after every run finished (committed, say) is not a paused run, so it says nothing needs
 * resuming and the exit code is what the results warrant; a paused or unstarted run still exits 130.
 */
import { describe, expect, it } from 'vitest';
import { type LocalRunResult, unfinishedLine } from '../../cli/local-runner.ts';

const message = (runDate: string) => ({ campaignId: 'acme-trail-shoes', runDate });
const committed = (runDate: string) =>
  ({ message: message(runDate), outcome: { outcome: 'committed', runDate } }) as unknown as LocalRunResult;
const failed = (runDate: string): LocalRunResult => ({
  message: message(runDate),
  outcome: { outcome: 'failed', kind: 'moz', message: 'Moz said no' },
});
const paused = (runDate: string): LocalRunResult => ({
  message: message(runDate),
  outcome: { outcome: 'paused', reason: 'interrupted', runDate, runId: 'r1', pages: 3, rowsConsumed: 150 },
});

describe('unfinishedLine', () => {
  it('an interrupt after every run committed: nothing to resume, exit 0', () => {
    expect(unfinishedLine([committed('2026-08-01')], { interrupted: true, expected: 1 })).toEqual({
      line: 'interrupted after every run had finished; nothing needs resuming',
      exitCode: 0,
    });
  });

  it('an interrupt after every run finished, one of them failed: exit 1, saying so', () => {
    expect(
      unfinishedLine([committed('2026-07-01'), failed('2026-08-01')], { interrupted: true, expected: 2 }),
    ).toEqual({
      line: '1 campaign run(s) failed or were refused (interrupted after every run had finished; nothing needs resuming)',
      exitCode: 1,
    });
  });

  it('an interrupt that paused a run: exit 130, resume', () => {
    expect(unfinishedLine([paused('2026-08-01')], { interrupted: true, expected: 1 })).toEqual({
      line: 'interrupted: saved 3 page(s) (150 Moz rows) of acme-trail-shoes 2026-08-01; run the same command again to resume',
      exitCode: 130,
    });
  });

  it('an interrupt before a run started: exit 130, resume', () => {
    expect(unfinishedLine([committed('2026-07-01')], { interrupted: true, expected: 2 })).toEqual({
      line: 'interrupted: 1 run(s) not started; run the same command again to resume',
      exitCode: 130,
    });
  });

  it('no interrupt: undefined when all committed, exit 1 when one failed', () => {
    expect(unfinishedLine([committed('2026-07-01')], { interrupted: false, expected: 1 })).toBeUndefined();
    expect(unfinishedLine([failed('2026-07-01')], { interrupted: false, expected: 1 })?.exitCode).toBe(1);
  });
});
