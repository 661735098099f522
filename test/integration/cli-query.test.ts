import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AthenaClient, GetQueryResultsCommandOutput } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGN, demoHome, linkgap, tempDir } from '#test/support/cli.ts';
import { AthenaQueryError, rowsFromResultPages, runAthenaQuery } from '../../cli/athena.ts';
import { countSqlStatements, duckdbErrorLine, formatRows } from '../../cli/commands/query.ts';

describe('linkgap query (DuckDB)', () => {
  let demo: Awaited<ReturnType<typeof demoHome>>;
  beforeAll(async () => {
    demo = await demoHome(2);
  });
  afterAll(() => demo?.remove());

  const sql = `SELECT run_date, gap_size, baseline FROM runs WHERE campaign_id = '${DEMO_CAMPAIGN}' ORDER BY run_date`;

  it('prints a table, CSV or JSON', async () => {
    const table = await linkgap(['query', sql], demo.env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^run_date\s+gap_size\s+baseline$/);
    expect(table.stdout.split('\n')).toHaveLength(4);

    const json = JSON.parse((await linkgap(['query', sql, '--format', 'json'], demo.env)).stdout);
    expect(json).toEqual([
      { run_date: '2026-06-01', gap_size: expect.any(Number), baseline: true },
      { run_date: '2026-07-01', gap_size: expect.any(Number), baseline: false },
    ]);

    const csv = (await linkgap(['query', sql, '--format', 'csv'], demo.env)).stdout.split('\r\n');
    expect(csv[0]).toBe('run_date,gap_size,baseline');
    expect(csv[1]).toBe(`2026-06-01,${json[0].gap_size},true`);
  });

  it('reads arrays and dates from the views, and shows the columns of an empty answer', async () => {
    const rows = JSON.parse(
      (
        await linkgap(
          [
            'query',
            '--format',
            'json',
            `SELECT matched_targets, first_seen_date FROM prospects WHERE campaign_id = '${DEMO_CAMPAIGN}' LIMIT 1`,
          ],
          demo.env,
        )
      ).stdout,
    );
    expect(rows[0]).toEqual({
      matched_targets: expect.arrayContaining([expect.stringMatching(/\.example$/)]),
      first_seen_date: expect.stringMatching(/^2026-0[67]-01$/),
    });
    const empty = await linkgap(
      ['query', `SELECT source, score FROM prospects WHERE campaign_id = 'nobody'`],
      demo.env,
    );
    expect(empty.stdout).toBe('(no rows; columns: source, score)');
  });

  it('runs a cookbook query for a campaign, and lists them', async () => {
    const result = await linkgap(
      ['query', '--cookbook', 'moz-rows-by-month', '--campaign', DEMO_CAMPAIGN, '--format', 'json'],
      demo.env,
    );
    expect(JSON.parse(result.stdout).map((row: { month: string }) => row.month)).toEqual([
      '2026-06',
      '2026-07',
    ]);
    expect((await linkgap(['query', '--cookbook', 'list'], demo.env)).stdout).toContain(
      'closure-rate-by-quarter',
    );
  });

  it.each([
    [['query', 'SELEC 1'], 'linkgap: query failed: Parser Error: syntax error at or near "SELEC"'],
    [
      ['query', 'SELECT nope FROM runs'],
      'linkgap: query failed: Binder Error: Referenced column "nope" not found',
    ],
    [['query'], 'linkgap: give the SQL to run'],
    [['query', 'SELECT 1', '--format', 'xml'], '--format must be table, csv or json; got "xml"'],
    [['query', '--cookbook', 'nope', '--campaign', 'x'], 'no cookbook query "nope"; one of: gap-trend,'],
    [['query', '--cookbook', 'gap-trend'], '--cookbook needs --campaign <id>'],
    [['query', '--athena', 'SELECT 1'], '--athena runs in the deployed stack: add --aws'],
    [['query', '--aws', 'SELECT 1'], 'query --aws needs --athena'],
    [
      ['query', '--aws', '--athena', 'SELECT 1'],
      "--aws needs the stack's AthenaWorkGroupName: pass --workgroup <name> or set LINKGAP_WORKGROUP",
    ],
  ])('%j fails with one clear line and exit 2', async (argv, message) => {
    const result = await linkgap(argv, demo.env);
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith('linkgap: ')).toBe(true);
    expect(result.stderr).toContain(message);
    expect(result.stderr.split('\n')).toHaveLength(1);
  });

  it('answers over a lake without review events, and says what that means', async () => {
    const queue = await linkgap(
      ['query', '--cookbook', 'review-queue', '--campaign', DEMO_CAMPAIGN, '--format', 'json'],
      demo.env,
    );
    expect(queue.code).toBe(0);
    expect(JSON.parse(queue.stdout).length).toBeGreaterThan(0);
    expect(queue.stderr).toMatch(
      /^linkgap: note: .*lake has no review events: every prospect reads as to_review/,
    );
    const events = await linkgap(
      ['query', `SELECT count(*) AS n FROM reviews WHERE campaign_id = '${DEMO_CAMPAIGN}'`],
      demo.env,
    );
    expect(events.stdout).toBe('n\n-\n0');
    expect(events.stderr).toContain('has no review events');
    const runsOnly = await linkgap(['query', sql], demo.env);
    expect(runsOnly.stderr).toBe('');
    const download = await linkgap(
      ['download', '--campaign', DEMO_CAMPAIGN, '--what', 'reviews', '--out', join(demo.home, 'r')],
      demo.env,
    );
    expect(download).toMatchObject({ code: 2 });
    expect(download.stderr).toMatch(
      /^linkgap: no review events of acme-trail-shoes in .* yet \(linkgap review import or review set writes them\)$/,
    );
  });

  it('is read-only: reads the lake, refuses to write files or read files outside it', async () => {
    const outside = tempDir('query-outside');
    try {
      const target = join(outside.path, 'x.csv');
      const copy = await linkgap(['query', `COPY (SELECT 1) TO '${target}'`], demo.env);
      expect(copy.code).toBe(2);
      expect(copy.stderr.trim()).toBe(
        'linkgap: query runs only SELECT statements (read-only over the lake); this is a COPY statement',
      );
      expect(existsSync(target)).toBe(false);
      // Refused before DuckDB prepares it: preparing EXPORT DATABASE already makes its folder.
      const exported = join(demo.home, 'lake', 'exported');
      const exportDb = await linkgap(['query', `/* x */ EXPORT DATABASE '${exported}'`], demo.env);
      expect(exportDb.code).toBe(2);
      expect(exportDb.stderr.trim()).toBe(
        'linkgap: query runs only SELECT statements (read-only over the lake); this is an EXPORT statement',
      );
      expect(existsSync(exported)).toBe(false);
      // Inside the lake folder DuckDB could write: the statement is refused first.
      const inLake = join(demo.home, 'lake', 'x.csv');
      const copyIn = await linkgap(['query', `COPY (SELECT 1) TO '${inLake}'`], demo.env);
      expect(copyIn.code).toBe(2);
      expect(copyIn.stderr.trim()).toBe(
        'linkgap: query runs only SELECT statements (read-only over the lake); this is a COPY statement',
      );
      expect(existsSync(inLake)).toBe(false);

      const secret = join(outside.path, 'secret.txt');
      writeFileSync(secret, 'not for the query');
      const read = await linkgap(['query', `SELECT content FROM read_text('${secret}')`], demo.env);
      expect(read.code).toBe(2);
      expect(read.stderr).toMatch(/^linkgap: query failed: .*file system operations are disabled/);
      expect(read.stdout).not.toContain('not for the query');
      const unlock = await linkgap(['query', 'SET enable_external_access = true'], demo.env);
      expect(unlock.code).toBe(2);
      // The lake itself still reads.
      expect((await linkgap(['query', sql], demo.env)).code).toBe(0);
    } finally {
      outside.remove();
    }
  });

  it.each([
    ['PIVOT runs ON status USING count(*)', /^run_id\s/],
    ['PIVOT (SELECT status FROM runs) ON status USING count(*)', /^SUCCEEDED$/],
    ["PIVOT (SELECT status FROM runs) ON status IN ('committed') USING count(*)", /^committed$/],
    ['UNPIVOT (SELECT 1 AS a, 2 AS b) ON a, b INTO NAME k VALUE v', /^k\s+v$/],
    ['FROM runs SELECT count(*) AS n;', /^n$/],
    ["WITH x AS (SELECT ';' AS s) SELECT s FROM x -- a comment; not a statement", /^s$/],
    ['/* two; statements? */ SUMMARIZE runs', /^column_name\s/],
    ['DESCRIBE prospects', /^column_name\s/],
  ])('runs the one read-only statement %s', async (statement, header) => {
    const result = await linkgap(['query', statement], demo.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(header);
  });

  it.each([
    ['SELECT 1; SELECT 2', 'this has 2'],
    ['PIVOT runs ON status USING count(*); SELECT 1', 'this has 2'],
    ["SELECT ';'; SELECT 2; SELECT 3", 'this has 3'],
  ])('refuses several statements: %s', async (statement, count) => {
    const result = await linkgap(['query', statement], demo.env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `linkgap: query runs one SQL statement at a time; ${count} (run each with its own linkgap query)`,
    );
  });

  it.each([
    ['CREATE TABLE t AS PIVOT runs ON status USING count(*)', 'CREATE'],
    ['COPY (PIVOT runs ON status USING count(*)) TO <lake>/pivot.csv', 'COPY'],
    ["CREATE TYPE mood AS ENUM ('a')", 'CREATE'],
  ])('refuses a write even when DuckDB expands the PIVOT in it: %s', async (statement, kind) => {
    // Inside the lake folder DuckDB itself would write: only the statement check stands in the way.
    const inLake = join(demo.home, 'lake', 'pivot.csv');
    const result = await linkgap(['query', statement.replace('<lake>/pivot.csv', `'${inLake}'`)], demo.env);
    expect(existsSync(inLake)).toBe(false);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `linkgap: query runs only SELECT statements (read-only over the lake); this is a ${kind} statement`,
    );
  });

  it("cannot read files in the working directory's .tmp (DuckDB's default temp folder)", async () => {
    const scratch = join(process.cwd(), '.tmp');
    const made = !existsSync(scratch);
    mkdirSync(scratch, { recursive: true });
    const secret = join(scratch, `linkgap-query-secret-${process.pid}.txt`);
    writeFileSync(secret, 'not for the query');
    try {
      const read = await linkgap(['query', `SELECT content FROM read_text('${secret}')`], demo.env);
      expect(read.code).toBe(2);
      expect(read.stdout).not.toContain('not for the query');
      const allowed = await linkgap(
        ['query', "SELECT current_setting('allowed_directories') AS a", '--format', 'json'],
        demo.env,
      );
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).not.toContain(scratch);
    } finally {
      rmSync(made ? scratch : secret, { recursive: true, force: true });
    }
  });

  it('says where the lake is missing', async () => {
    const empty = tempDir('nolake');
    try {
      const local = await linkgap(['query', 'SELECT 1'], { LINKGAP_HOME: empty.path });
      expect(local).toMatchObject({
        code: 2,
        stderr: `linkgap: no local lake at ${join(empty.path, 'lake')} yet (linkgap demo, or linkgap run, writes one; or pass --lake <dir>)`,
      });
      const folder = await linkgap(['query', '--lake', join(empty.path, 'x'), 'SELECT 1'], {});
      expect(folder.stderr).toContain('is not a folder');
    } finally {
      empty.remove();
    }
  });

  it('keeps the useful lines of a DuckDB error', () => {
    expect(duckdbErrorLine('Parser Error: syntax error at or near "x"\n\nLINE 1: x\n        ^')).toBe(
      'Parser Error: syntax error at or near "x"',
    );
  });
});

describe('countSqlStatements', () => {
  it.each([
    ['SELECT 1', 1],
    ['SELECT 1;', 1],
    [' ; ;SELECT 1;; ', 1],
    ['-- only a comment; really', 0],
    ["SELECT 'a;b', \"c;d\", 'it''s; fine'", 1],
    ["SELECT E'\\'; still the string'", 1],
    ['SELECT $$a;b$$, $tag$c;$$;d$tag$', 1],
    ['/* outer /* inner; */ still; comment */ SELECT 1', 1],
    ['SELECT 1; -- trailing', 1],
    ['SELECT 1; SELECT 2', 2],
    ["SELECT ';'; SELECT $$;$$; /* ; */ SELECT 3", 3],
    ['SELECT 1 /* ; */; SELECT 2 -- ;\n; SELECT 3', 3],
  ])('%j has %i', (sql, count) => {
    expect(countSqlStatements(sql)).toBe(count);
  });
});

describe('Athena results', () => {
  /** A page as GetQueryResults returns it for a SELECT: column names repeated as the first row. */
  const page = (
    rows: (string | undefined)[][],
    withMetadata = true,
  ): Pick<GetQueryResultsCommandOutput, 'ResultSet'> => ({
    ResultSet: {
      Rows: rows.map((cells) => ({
        Data: cells.map((value) => (value === undefined ? {} : { VarCharValue: value })),
      })),
      ...(withMetadata
        ? {
            ResultSetMetadata: {
              ColumnInfo: [
                { Name: 'run_date', Type: 'varchar' },
                { Name: 'gap_size', Type: 'integer' },
                { Name: 'closure_rate', Type: 'double' },
                { Name: 'truncated', Type: 'boolean' },
                { Name: 'rows', Type: 'bigint' },
              ],
            },
          }
        : {}),
    },
  });

  it('turns the header row into columns and types the values, across pages', () => {
    const result = rowsFromResultPages([
      page([
        ['run_date', 'gap_size', 'closure_rate', 'truncated', 'rows'],
        ['2026-01-01', '830', undefined, 'false', '4150'],
      ]),
      page([['2026-02-01', '836', '0.0036', 'true', '9007199254740993']]),
    ]);
    expect(result.columns).toEqual(['run_date', 'gap_size', 'closure_rate', 'truncated', 'rows']);
    expect(result.rows).toEqual([
      { run_date: '2026-01-01', gap_size: 830, closure_rate: null, truncated: false, rows: 4150 },
      {
        run_date: '2026-02-01',
        gap_size: 836,
        closure_rate: 0.0036,
        truncated: true,
        rows: '9007199254740993',
      },
    ]);
  });

  it('handles an empty result and a result without metadata', () => {
    expect(
      rowsFromResultPages([page([['run_date', 'gap_size', 'closure_rate', 'truncated', 'rows']])]).rows,
    ).toEqual([]);
    expect(rowsFromResultPages([page([['a'], ['1']], false)])).toEqual({
      columns: ['a'],
      rows: [{ a: '1' }],
    });
    expect(rowsFromResultPages([])).toEqual({ columns: [], rows: [] });
  });

  it('prints Athena rows like local ones', () => {
    expect(formatRows(['a', 'b'], [{ a: 'x,y', b: 2 }], 'csv')).toBe('a,b\r\n"x,y",2');
  });

  it("polls with growing delays and reports a failure in one line with Athena's reason", async () => {
    const states = ['QUEUED', 'RUNNING', 'RUNNING', 'FAILED'];
    const sent: string[] = [];
    const fake = {
      send: async (command: { constructor: { name: string }; input: unknown }) => {
        sent.push(command.constructor.name);
        if (command.constructor.name === 'StartQueryExecutionCommand') return { QueryExecutionId: 'q-1' };
        const state = states.shift();
        return {
          QueryExecution: {
            Status: {
              State: state,
              StateChangeReason: "COLUMN_NOT_FOUND: line 1:8:\n Column 'nope' cannot be resolved",
            },
          },
        };
      },
    } as unknown as AthenaClient;
    const delays: number[] = [];
    const failure = runAthenaQuery(fake, 'SELECT nope', {
      workgroup: 'wg',
      database: 'db',
      sleep: async (ms) => void delays.push(ms),
    });
    await expect(failure).rejects.toThrow(AthenaQueryError);
    await expect(failure).rejects.toThrow(
      "Athena query q-1 FAILED: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
    );
    expect(delays).toEqual([250, 375, 563]);
    expect(sent[0]).toBe('StartQueryExecutionCommand');
  });

  it('gives up after the timeout, saying the query is still running', async () => {
    let clock = 0;
    const fake = {
      send: async (command: { constructor: { name: string } }) =>
        command.constructor.name === 'StartQueryExecutionCommand'
          ? { QueryExecutionId: 'q-2' }
          : { QueryExecution: { Status: { State: 'RUNNING' } } },
    } as unknown as AthenaClient;
    await expect(
      runAthenaQuery(fake, 'SELECT 1', {
        workgroup: 'wg',
        database: 'db',
        timeoutMs: 10_000,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      }),
    ).rejects.toThrow('Athena query q-2 still RUNNING after 10 s');
  });
});
