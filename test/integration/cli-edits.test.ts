/**
 * Issue 11 ("A history you can trust"): the user's own edits, CLI inputs and terminal safety. Each
 * test here reproduces a case that misbehaved before the fix: an update that re-enabled a disabled
 * campaign, a hand-edited file that stopped every run, a BOM, option values, a partial download, odd
 * folder names, unusable --out folders and control sequences reaching the terminal.
 */

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFileRunStore } from '#adapters/local/file-stores.ts';
import { aRunSummary } from '#test/support/builders.ts';
import { aCampaignFile, DEMO_CAMPAIGN, demoHome, linkgap, tempDir } from '#test/support/cli.ts';

/** Anything a terminal would act on: C0 controls but newline, DEL, C1 controls, bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A committed run of `campaignId` with the given config hash, as the run store records it. */
async function commitRun(home: string, campaignId: string, configHash: string): Promise<void> {
  const runs = createFileRunStore(home);
  const now = new Date('2026-03-01T03:00:00Z');
  const claim = await runs.claim({
    campaignId,
    runDate: '2026-03-01',
    runId: 'run-1',
    configHash,
    now,
    leaseMs: 60_000,
  });
  if (claim.outcome !== 'claimed') throw new Error('claim failed');
  await runs.commit({
    record: claim.record,
    summary: aRunSummary(),
    pointer: {
      campaignId,
      runId: 'run-1',
      runDate: '2026-03-01',
      configHash,
      manifestKey: 'runs/x.json',
      ledgerKey: 'staging/x/ledger.json',
    },
    expectedLatestRunId: null,
    now,
  });
}

describe('campaign edits (local store)', () => {
  let dir: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  let home: string;
  beforeEach(() => {
    dir = tempDir('edits');
    home = join(dir.path, 'home');
    env = { LINKGAP_HOME: home };
  });
  afterEach(() => dir.remove());

  it('update keeps a disabled campaign disabled when the file has no "enabled", and says what changed', async () => {
    expect((await linkgap(['campaign', 'add', aCampaignFile(dir.path)], env)).code).toBe(0);
    expect((await linkgap(['campaign', 'disable', 'trail-shoes'], env)).code).toBe(0);

    const updated = await linkgap(
      ['campaign', 'update', aCampaignFile(dir.path, { maxRowsPerRun: 900 }, 'edited.json')],
      env,
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain('maxRowsPerRun: 5000 -> 900');
    expect(updated.stdout).not.toContain('enabled:');
    expect(updated.stdout).toContain('it stays disabled');
    const stored = JSON.parse(readFileSync(join(home, 'campaigns', 'trail-shoes.json'), 'utf8'));
    expect(stored).toMatchObject({ enabled: false, maxRowsPerRun: 900 });

    const enabled = await linkgap(
      ['campaign', 'update', aCampaignFile(dir.path, { maxRowsPerRun: 900, enabled: true }, 'on.json')],
      env,
    );
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toContain('enabled: false -> true');

    const same = await linkgap(['campaign', 'update', join(dir.path, 'on.json')], env);
    expect(same).toMatchObject({ code: 0, stdout: expect.stringContaining('nothing changed') });
  });

  it('update that changes the config hash of a campaign with runs needs --new-baseline', async () => {
    await linkgap(['campaign', 'add', aCampaignFile(dir.path)], env);
    const shown = JSON.parse((await linkgap(['campaign', 'show', 'trail-shoes', '--json'], env)).stdout);
    const { configHash } = await import('#domain/campaign.ts');
    await commitRun(home, 'trail-shoes', configHash(shown.campaign));

    const edited = aCampaignFile(
      dir.path,
      { competitors: [{ target: 'rival-c.example', scope: 'root_domain' }] },
      'edited.json',
    );
    const refused = await linkgap(['campaign', 'update', edited], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('new baseline');
    expect(refused.stderr).toContain('--new-baseline');
    const stored = JSON.parse(readFileSync(join(home, 'campaigns', 'trail-shoes.json'), 'utf8'));
    expect(stored.competitors).toHaveLength(2);

    const accepted = await linkgap(['campaign', 'update', edited, '--new-baseline'], env);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('competitors:');
    expect(accepted.stdout).toContain('the next run starts a new baseline');
    expect(JSON.parse(readFileSync(join(home, 'campaigns', 'trail-shoes.json'), 'utf8')).competitors).toEqual(
      [{ target: 'rival-c.example', scope: 'root_domain' }],
    );
  });

  it('accepts a campaign file saved with a UTF-8 byte order mark, and a stored file with one', async () => {
    const file = aCampaignFile(dir.path);
    writeFileSync(file, `\uFEFF${readFileSync(file, 'utf8')}`);
    const added = await linkgap(['campaign', 'add', file], env);
    expect(added.code, added.stderr).toBe(0);

    const stored = join(home, 'campaigns', 'trail-shoes.json');
    writeFileSync(stored, `\uFEFF${readFileSync(stored, 'utf8')}`);
    const listed = await linkgap(['campaign', 'list'], env);
    expect(listed.stdout).not.toContain('INVALID');
    expect((await linkgap(['campaign', 'show', 'trail-shoes'], env)).code).toBe(0);
  });

  it('refuses a campaign id argument that is not an id with the usage exit code', async () => {
    for (const command of ['show', 'disable', 'enable', 'remove']) {
      const result = await linkgap(['campaign', command, '../x'], env);
      expect(result.code, command).toBe(2);
      expect(result.stderr).toContain('"../x" is not a campaign id');
    }
  });

  it('exits 2 on a command-line mistake commander catches', async () => {
    expect((await linkgap(['campaign', 'show'], env)).code).toBe(2);
    expect((await linkgap(['run', '--bogus'], env)).code).toBe(2);
    expect((await linkgap(['query', '--bogus'], env)).code).toBe(2);
    expect((await linkgap(['download', '--campaign', 'x'], env)).code).toBe(2);
  });

  it('campaign show escapes control sequences from a failed run message, and refuses a stored name holding them', async () => {
    await linkgap(['campaign', 'add', aCampaignFile(dir.path)], env);
    const runs = createFileRunStore(home);
    const claim = await runs.claim({
      campaignId: 'trail-shoes',
      runDate: '2026-03-01',
      runId: 'r',
      configHash: 'h',
      now: new Date(),
      leaseMs: 1000,
    });
    if (claim.outcome !== 'claimed') throw new Error('claim failed');
    await runs.fail(
      claim.record,
      { kind: 'MozApiError', message: 'Moz said \u001b[2J\u0007boom' },
      new Date(),
    );
    const shown = await linkgap(['campaign', 'show', 'trail-shoes'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(shown.stdout).toContain('Moz said \\x1b[2J\\x07boom');

    // A name with control or bidi characters is not a valid campaign (a hand-edited store): refused in
    // one line naming the field, and nothing of the name reaches the terminal.
    const stored = join(home, 'campaigns', 'trail-shoes.json');
    const hostile =
      'Acme \u001b]52;c;ZWNobyBoaQ==\u0007 \u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\ \u009b2J \u202eevil';
    writeFileSync(stored, JSON.stringify({ ...JSON.parse(readFileSync(stored, 'utf8')), name: hostile }));
    const refused = await linkgap(['campaign', 'show', 'trail-shoes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/name: must not contain control characters/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stdout + refused.stderr).not.toMatch(TERMINAL_CONTROL);
  });
});

describe('the error line of the real process', () => {
  it('escapes control characters a config file put in an error message', async () => {
    const dir = tempDir('process');
    try {
      const file = aCampaignFile(dir.path, { '\u001b]52;c;aGk=\u0007\u009b2J': 1 });
      const failed = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'cli/bin.ts', 'campaign', 'add', file],
        {
          env: { ...process.env, LINKGAP_HOME: join(dir.path, 'home') },
          timeout: 30_000,
        },
      ).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(2);
      expect(failed?.stderr).toContain('unknown field');
      expect(failed?.stderr).toContain('\\x1b]52;c;aGk=\\x07\\x9b2J');
      expect(failed?.stderr).not.toMatch(TERMINAL_CONTROL);
    } finally {
      dir.remove();
    }
  });
});

describe('add and update are conditional', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('conditional');
  });
  afterEach(() => dir.remove());

  it('two concurrent adds of one id: exactly one wins, the other is told to use update', async () => {
    const env = { LINKGAP_HOME: join(dir.path, 'home') };
    const first = aCampaignFile(dir.path, { name: 'First' }, 'first.json');
    const second = aCampaignFile(dir.path, { name: 'Second' }, 'second.json');
    const results = await Promise.all([
      linkgap(['campaign', 'add', first], env),
      linkgap(['campaign', 'add', second], env),
    ]);
    expect(results.map((result) => result.code).sort()).toEqual([0, 2]);
    const loser = results.find((result) => result.code === 2);
    expect(loser?.stderr).toContain('already exists');
    const winner = results[0]?.code === 0 ? 'First' : 'Second';
    const stored = JSON.parse(readFileSync(join(dir.path, 'home', 'campaigns', 'trail-shoes.json'), 'utf8'));
    expect(stored.name).toBe(winner);
  });
});

describe('run with a broken hand-edited campaign', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('broken');
  });
  afterEach(() => dir.remove());

  it('runs the valid campaigns, names the broken one and its problem, and exits 1', async () => {
    const env = { LINKGAP_HOME: join(dir.path, 'home') };
    for (const id of ['alpha', 'beta', 'gamma']) {
      const added = await linkgap(['campaign', 'add', aCampaignFile(dir.path, { id }, `${id}.json`)], env);
      expect(added.code, added.stderr).toBe(0);
    }
    const alpha = join(dir.path, 'home', 'campaigns', 'alpha.json');
    writeFileSync(alpha, JSON.stringify({ ...JSON.parse(readFileSync(alpha, 'utf8')), id: 'zeta' }));
    const gamma = join(dir.path, 'home', 'campaigns', 'gamma.json');
    writeFileSync(
      gamma,
      JSON.stringify({ ...JSON.parse(readFileSync(gamma, 'utf8')), '\u001b]52;c;aGk=\u0007': 1 }),
    );

    const result = await linkgap(['run', '--as-of', '2026-03-05'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/beta\s+2026-03-01\s+committed/);
    expect(result.stderr).toContain('alpha');
    expect(result.stderr).toContain('"zeta"');
    expect(result.stderr).toContain('gamma');
    expect(result.stderr).not.toMatch(TERMINAL_CONTROL);

    const one = await linkgap(['run', '--campaign', 'alpha', '--as-of', '2026-03-05'], env);
    expect(one.code).not.toBe(0);
    expect(`${one.stdout}\n${one.stderr}`).toContain('"zeta"');
  });
});

describe('run and query option values', () => {
  const env = { LINKGAP_HOME: '/nonexistent-linkgap-home' };
  it.each([
    ['2026-02-30', 'is not a calendar date'],
    ['', 'must be a date like'],
    ['2999-01-01', 'is in the future'],
    ['01/03/2026', 'must be a date like'],
  ])('--as-of %j is refused with the option named (%s)', async (value, reason) => {
    const result = await linkgap(['run', '--as-of', value], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--as-of');
    expect(result.stderr).toContain(reason);
  });
});

describe('lake edits: downloads, folder names, --out', () => {
  let demo: Awaited<ReturnType<typeof demoHome>>;
  let scratch: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    demo = await demoHome(3);
    scratch = tempDir('lake-edits');
  });
  afterAll(() => {
    demo?.remove();
    scratch?.remove();
  });

  const closureRates = async (env: Record<string, string>, extra: string[] = []) => {
    const result = await linkgap(
      [
        'query',
        ...extra,
        '--cookbook',
        'monthly-closure-rate',
        '--campaign',
        DEMO_CAMPAIGN,
        '--format',
        'json',
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { month: string; closed: number }[];
  };

  it("the README's download-then-query example gives the lake's own numbers", async () => {
    const fromLake = await closureRates(demo.env);
    expect(fromLake.some((row) => row.closed > 0)).toBe(true);
    const history = join(scratch.path, 'history');
    const downloaded = await linkgap(
      ['download', '--campaign', DEMO_CAMPAIGN, '--all', '--format', 'parquet', '--out', history],
      demo.env,
    );
    expect(downloaded.code, downloaded.stderr).toBe(0);
    expect(existsSync(join(history, 'changes'))).toBe(true);
    expect(await closureRates(demo.env, ['--lake', history])).toEqual(fromLake);
  });

  it('refuses a cookbook query over a lake folder that lacks one of its tables', async () => {
    const partial = join(scratch.path, 'partial');
    const downloaded = await linkgap(
      ['download', '--campaign', DEMO_CAMPAIGN, '--all', '--what', 'prospects', '--out', partial],
      demo.env,
    );
    expect(downloaded.code).toBe(0);
    const result = await linkgap(
      ['query', '--lake', partial, '--cookbook', 'monthly-closure-rate', '--campaign', DEMO_CAMPAIGN],
      demo.env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('changes');
    expect(result.stderr).toContain('--what all');
  });

  it('a cookbook query for a campaign without runs says so instead of "(no rows)"', async () => {
    const result = await linkgap(['query', '--cookbook', 'gap-trend', '--campaign', 'unknown'], demo.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('campaign "unknown" has no committed runs');
  });

  it('refuses several SQL statements instead of printing only the last answer', async () => {
    const result = await linkgap(['query', 'SELECT 1 AS a; SELECT 2 AS b'], demo.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('one SQL statement');
    expect((await linkgap(['query', 'SELECT 1 AS a;'], demo.env)).code).toBe(0);
  });

  it.each([
    'brackets [1]',
    'star *',
    'question ?',
    'braces {a,b}',
    "apostrophe '",
    'back\\slash',
    'comma, too',
    "all [*?{'\\,]",
  ])('queries a home and a --lake in a folder named %j', async (name) => {
    const home = join(scratch.path, name);
    mkdirSync(home, { recursive: true });
    cpSync(join(demo.home, 'lake'), join(home, 'lake'), { recursive: true });
    const sql = `SELECT count(*) AS runs FROM runs WHERE campaign_id = '${DEMO_CAMPAIGN}'`;
    const viaHome = await linkgap(['query', sql, '--format', 'json'], { LINKGAP_HOME: home });
    expect(viaHome.code, viaHome.stderr).toBe(0);
    expect(JSON.parse(viaHome.stdout)).toEqual([{ runs: 3 }]);
    const viaLake = await linkgap(['query', '--lake', join(home, 'lake'), sql, '--format', 'json'], {});
    expect(JSON.parse(viaLake.stdout)).toEqual([{ runs: 3 }]);
    rmSync(home, { recursive: true, force: true });
  });

  it('a folder whose name is a glob reads its own files, not a sibling folder it would match', async () => {
    const sibling = join(scratch.path, 'homeX');
    const starred = join(scratch.path, 'home*');
    cpSync(join(demo.home, 'lake'), join(sibling, 'lake'), { recursive: true });
    cpSync(join(demo.home, 'lake'), join(starred, 'lake'), { recursive: true });
    const sql = `SELECT count(*) AS runs FROM runs WHERE campaign_id = '${DEMO_CAMPAIGN}'`;
    const result = await linkgap(['query', sql, '--format', 'json'], { LINKGAP_HOME: starred });
    expect(JSON.parse(result.stdout)).toEqual([{ runs: 3 }]);
  });

  it('names the problem when --out is below a regular file', async () => {
    const blocker = join(scratch.path, 'a-file');
    writeFileSync(blocker, 'not a folder');
    for (const out of [blocker, join(blocker, 'sub'), join(blocker, 'sub', 'deeper')]) {
      const result = await linkgap(['download', '--campaign', DEMO_CAMPAIGN, '--out', out], demo.env);
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`${blocker} is a file, not a folder`);
    }
  });

  it('fails fast with one line when --out is somewhere no folder can be made', async () => {
    const started = Date.now();
    const result = await linkgap(['download', '--campaign', DEMO_CAMPAIGN, '--out', '/proc/x'], demo.env);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^linkgap: cannot create --out \/proc\/x: .+$/);
  });

  it('report --out somewhere no folder can be made fails fast with one line too', async () => {
    const started = Date.now();
    const result = await linkgap(
      ['report', '--campaign', DEMO_CAMPAIGN, '--out', '/proc/x/report.html'],
      demo.env,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^linkgap: cannot write \/proc\/x\/report.html: .+$/);
  }, 15_000);

  it('query --format table escapes control characters; csv and json keep them', async () => {
    const sql = "SELECT chr(27) || ']52;c;aGk=' || chr(7) || chr(155) || '2J' || chr(8238) AS title";
    const table = await linkgap(['query', sql], demo.env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(table.stdout).toContain('\\x1b]52;c;aGk=\\x07\\x9b2J\\u202e');
    const json = await linkgap(['query', sql, '--format', 'json'], demo.env);
    expect(JSON.parse(json.stdout)[0].title).toBe('\u001b]52;c;aGk=\u0007\u009b2J\u202e');
    const csv = await linkgap(['query', sql, '--format', 'csv'], demo.env);
    expect(csv.stdout).toContain('\u001b]52');
  });
});
