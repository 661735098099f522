// A source the campaign newly ignores must cost nothing: it was open in the previous run, so the
// departure check once sent it to link_status (2 rows) before the diff dropped it.
import { describe, expect, it } from 'vitest';
import { readLake, useHarnesses } from '#test/support/reliability-harness.ts';

const startHarness = useHarnesses();

describe('the ignore list and the departure check', () => {
  it('a newly ignored source gets no link_status check and appears in no change', async () => {
    const local = await startHarness();
    await local.putCampaign();
    expect((await local.run('2026-01-01')).outcome).toBe('committed');
    const firstSources = Object.values((await readLake(local.lake)).prospects)
      .flat()
      .map((row) => row.source)
      .sort();
    const ignored = firstSources.slice(0, 5);
    expect(ignored).toHaveLength(5);

    await local.putCampaign({ ignore: ignored.map((source) => source.split('/')[0] ?? source) });
    const outcome = await local.run('2026-02-01');
    expect(outcome.outcome).toBe('committed');

    const checked = local.calls
      .filter((call) => call.endpoint === 'link_status' && call.runDate === '2026-02-01')
      .flatMap((call) => call.sources);
    expect(checked.length).toBeGreaterThan(0); // other departures were still verified
    for (const source of ignored) expect(checked).not.toContain(source);
    const changes = Object.values((await readLake(local.lake)).changes)
      .flat()
      .filter((row) => row.run_date === '2026-02-01');
    for (const source of ignored) expect(changes.map((row) => row.source)).not.toContain(source);
  });
});
