import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileRunStore } from '#adapters/local/file-stores.ts';
import type { CampaignInput } from '#domain/campaign.ts';
import { aCampaignFile, linkgap, tempDir } from '#test/support/cli.ts';

describe('linkgap campaign (local)', () => {
  let dir: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = tempDir('campaign');
    env = { LINKGAP_HOME: join(dir.path, 'home') };
  });
  afterEach(() => dir.remove());

  it('adds, lists, shows, disables, enables, updates and removes a campaign', async () => {
    const file = aCampaignFile(dir.path);
    const added = await linkgap(['campaign', 'add', file], env);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('campaign trail-shoes added to local');

    const listed = await linkgap(['campaign', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /trail-shoes\s+Trail shoes\s+acme\.example\s+2\s+monthly, day 1\s+5000\s+yes/,
    );

    expect((await linkgap(['campaign', 'disable', 'trail-shoes'], env)).stdout).toContain(
      'campaign trail-shoes disabled',
    );
    expect((await linkgap(['campaign', 'list'], env)).stdout).toMatch(/trail-shoes.*\bno$/m);
    expect((await linkgap(['campaign', 'disable', 'trail-shoes'], env)).stdout).toContain('already disabled');
    expect((await linkgap(['campaign', 'enable', 'trail-shoes'], env)).stdout).toContain(
      'campaign trail-shoes enabled',
    );

    const updated = await linkgap(
      ['campaign', 'update', aCampaignFile(dir.path, { maxRowsPerRun: 900, name: 'Renamed' })],
      env,
    );
    expect(updated.code).toBe(0);
    const shown = await linkgap(['campaign', 'show', 'trail-shoes'], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('campaign trail-shoes "Renamed"');
    expect(shown.stdout).toContain('900 Moz rows per run');
    expect(shown.stdout).toContain(
      'competitors:    rival-a.example (root_domain), rival-b.example (root_domain)',
    );
    expect(shown.stdout).toContain('no runs yet');

    const removed = await linkgap(['campaign', 'remove', 'trail-shoes'], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('removed campaign trail-shoes "Renamed"');
    expect(removed.stdout).toContain('lake history');
    expect((await linkgap(['campaign', 'list'], env)).stdout).toContain('no campaigns');
  });

  it('shows the last runs with status, gap, changes, rows, truncation and the error of a failed run', async () => {
    await linkgap(['campaign', 'add', aCampaignFile(dir.path)], env);
    const runs = createFileRunStore(env.LINKGAP_HOME as string);
    const base = { campaignId: 'trail-shoes', configHash: 'h', leaseMs: 1000 };
    const ok = await runs.claim({
      ...base,
      runDate: '2026-01-01',
      runId: 'r1',
      now: new Date('2026-01-01T06:00:00Z'),
    });
    if (ok.outcome !== 'claimed') throw new Error('claim failed');
    await runs.commit({
      record: ok.record,
      summary: {
        manifestKey: 'runs/x.json',
        truncated: true,
        gapSize: 42,
        newCount: 42,
        closedCount: 0,
        lostCount: 0,
        rowsConsumed: 4321,
      },
      pointer: {
        campaignId: 'trail-shoes',
        runId: 'r1',
        runDate: '2026-01-01',
        configHash: 'h',
        manifestKey: 'runs/x.json',
        ledgerKey: 'state/x',
      },
      expectedLatestRunId: null,
      now: new Date('2026-01-01T06:05:00Z'),
    });
    const bad = await runs.claim({
      ...base,
      runDate: '2026-02-01',
      runId: 'r2',
      now: new Date('2026-02-01T06:00:00Z'),
    });
    if (bad.outcome !== 'claimed') throw new Error('claim failed');
    await runs.fail(
      bad.record,
      { kind: 'moz-auth', message: 'Moz answered 401: check MOZ_TOKEN' },
      new Date('2026-02-01T06:01:00Z'),
    );

    const shown = await linkgap(['campaign', 'show', 'trail-shoes'], env);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('run_date'));
    expect(lines[header]).toMatch(/run_date\s+status\s+gap\s+new\s+closed\s+lost\s+moz_rows\s+truncated/);
    expect(lines[header + 2]).toMatch(/^2026-02-01\s+FAILED.*moz-auth: Moz answered 401: check MOZ_TOKEN$/);
    expect(lines[header + 3]).toMatch(/^2026-01-01\s+SUCCEEDED\s+42\s+42\s+0\s+0\s+4321\s+yes/);

    const json = JSON.parse((await linkgap(['campaign', 'show', 'trail-shoes', '--json'], env)).stdout);
    expect(json.campaign.id).toBe('trail-shoes');
    expect(json.runs.map((run: { status: string }) => run.status)).toEqual(['FAILED', 'SUCCEEDED']);
  });

  it('refuses to add an id that exists, and to update one that does not', async () => {
    const file = aCampaignFile(dir.path);
    const missing = await linkgap(['campaign', 'update', file], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `linkgap: no campaign "trail-shoes" in local (${env.LINKGAP_HOME}) to update: use linkgap campaign add ${file}`,
    );
    await linkgap(['campaign', 'add', file], env);
    const again = await linkgap(['campaign', 'add', file], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('campaign "trail-shoes" already exists');
    expect(again.stderr).toContain('use linkgap campaign update');
  });

  it.each([
    [{ competitors: [] }, 'competitors: needs at least one competitor target'],
    [{ id: 'Bad Id' }, 'id: must be 1-64 lower-case letters'],
    [{ maxRowsPerRun: 2 }, 'maxRowsPerRun: must be at least 5'],
    [{ schedule: { every: 'month', day: 31 } } as Partial<CampaignInput>, 'schedule.day'],
    [{ sitee: [] } as unknown as Partial<CampaignInput>, 'sitee: unknown field'],
  ])('rejects an invalid file naming the field (%j)', async (overrides, expected) => {
    const result = await linkgap(['campaign', 'add', aCampaignFile(dir.path, overrides)], env);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(expected);
    expect(result.stdout).toBe('');
  });

  it('answers unknown ids, unreadable files and broken JSON with one line and exit 2', async () => {
    for (const argv of [
      ['campaign', 'show', 'nope'],
      ['campaign', 'disable', 'nope'],
      ['campaign', 'enable', 'nope'],
      ['campaign', 'remove', 'nope'],
    ]) {
      const result = await linkgap(argv, env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^linkgap: no campaign "nope" in local \(.*\) \(linkgap campaign list\)$/,
      );
    }
    const unreadable = await linkgap(['campaign', 'add', join(dir.path, 'missing.json')], env);
    expect(unreadable).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot read .*missing\.json: no such file$/),
    });
    // A folder where a file was expected, and a demo asked for too many months: usage errors, exit 2.
    expect(await linkgap(['campaign', 'add', dir.path], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot read .*: it is a folder, not a file$/),
    });
    expect(await linkgap(['demo', '--months', '99'], env)).toMatchObject({
      code: 2,
      stderr: 'linkgap: --months must be a whole number from 1 to 36, got "99"',
    });
    // Whole numbers are digits: Number() alone took 1e1 as ten months and 0x10 as sixteen rows.
    for (const [argv, refusal] of [
      [['demo', '--months', '1e1'], '--months must be a whole number from 1 to 36, got "1e1"'],
      [
        ['report', '--campaign', 'nope', '--top', '0x10'],
        '--top must be a whole number from 1 to 500, got "0x10"',
      ],
      [['campaign', 'show', 'nope', '--runs', '0'], '--runs must be a whole number from 1 to 1000, got "0"'],
    ] as const) {
      expect(await linkgap(argv, env)).toMatchObject({ code: 2, stderr: `linkgap: ${refusal}` });
    }
    const broken = join(dir.path, 'broken.json');
    writeFileSync(broken, '{"id": ');
    const notJson = await linkgap(['campaign', 'add', broken], env);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/broken\.json is not valid JSON/);
    // JSON.parse quotes the text it could not read, new lines and all: the error stays one line.
    writeFileSync(broken, 'not json\n');
    const quoted = await linkgap(['campaign', 'add', broken], env);
    expect(quoted.code).toBe(2);
    expect(quoted.stderr).toMatch(/broken\.json is not valid JSON: .*"not json\\n" is not valid JSON$/);
    expect(quoted.stderr.split('\n')).toHaveLength(1);
  });

  it('tells a hand-broken stored campaign apart, and prints a stack only with --debug', async () => {
    mkdirSync(join(env.LINKGAP_HOME as string, 'campaigns'), { recursive: true });
    writeFileSync(
      join(env.LINKGAP_HOME as string, 'campaigns', 'broken.json'),
      JSON.stringify({ id: 'broken', site: [] }),
    );
    const listed = await linkgap(['campaign', 'list'], env);
    expect(listed.stdout).toMatch(/broken\s+INVALID: Invalid campaign "broken"/);
    const disabled = await linkgap(['campaign', 'disable', 'broken'], env);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toContain('stored Invalid campaign "broken"');
    const debug = await linkgap(['--debug', 'campaign', 'show', 'nope'], env);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toContain('UsageError: no campaign "nope"');
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(readFileSync(join(env.LINKGAP_HOME as string, 'campaigns', 'broken.json'), 'utf8')).toContain(
      'broken',
    );
  });
});
