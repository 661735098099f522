/**
 * The `--aws` paths of the CLI against moto_server: campaigns in the DynamoDB table, downloads and
 * reports from the S3 lake, and `query --aws --athena` (moto runs no SQL: this checks what is
 * submitted and how results are read; the SQL itself is tested in DuckDB by cli-cookbook.test.ts).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
} from '@aws-sdk/client-athena';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createS3ObjectStore } from '#adapters/aws/object-store.ts';
import { createDynamoRunStore } from '#adapters/aws/run-store.ts';
import { DEMO_CAMPAIGN, demoHome, linkgap, tempDir } from '#test/support/cli.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';

const moto = useMoto();

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

describeAws('linkgap --aws against moto', () => {
  let stack: TestStack;
  let demo: Awaited<ReturnType<typeof demoHome>>;
  let out: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  let uploaded: string[];

  beforeAll(async () => {
    stack = await createTestStack(moto);
    demo = await demoHome(2);
    out = tempDir('aws');
    // A separate LINKGAP_HOME: proves nothing below reads the local stores.
    env = {
      LINKGAP_HOME: join(out.path, 'empty-home'),
      LINKGAP_TABLE: stack.names.tableName,
      LINKGAP_BUCKET: stack.names.bucket,
    };
    const s3Lake = createS3ObjectStore({ s3: stack.clients.s3, bucket: stack.names.bucket });
    const lakeRoot = join(demo.home, 'lake');
    uploaded = filesUnder(lakeRoot).filter((key) => /^(prospects|changes|runs)\//.test(key));
    for (const key of uploaded) await s3Lake.put(key, readFileSync(join(lakeRoot, key)));
  });
  afterAll(() => {
    demo?.remove();
    out?.remove();
    vi.unstubAllEnvs();
  });

  it('manages campaigns in the DynamoDB table: add, list, show, disable, enable, update, remove', async () => {
    const file = join(out.path, 'campaign.json');
    const campaign = JSON.parse(
      readFileSync(new URL('../../examples/acme-trail-shoes.json', import.meta.url), 'utf8'),
    );
    writeFileSync(file, JSON.stringify(campaign));

    const added = await linkgap(['campaign', 'add', '--aws', file], env);
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain(
      `campaign acme-trail-shoes added to DynamoDB table ${stack.names.tableName}`,
    );
    expect((await linkgap(['campaign', 'add', '--aws', file], env)).stderr).toContain('already exists');
    expect((await linkgap(['campaign', 'list', '--aws'], env)).stdout).toMatch(
      /acme-trail-shoes\s+Acme trail shoes.*yes$/m,
    );

    const runs = createDynamoRunStore({ doc: stack.clients.doc, tableName: stack.names.tableName });
    const claim = await runs.claim({
      campaignId: DEMO_CAMPAIGN,
      runDate: '2026-07-01',
      runId: 'r-1',
      configHash: 'h',
      now: new Date('2026-07-01T06:00:00Z'),
      leaseMs: 60_000,
    });
    if (claim.outcome !== 'claimed') throw new Error('claim failed');
    await runs.fail(
      claim.record,
      { kind: 'moz-bad-request', message: 'Moz said 400: limit too large' },
      new Date('2026-07-01T06:01:00Z'),
    );
    const shown = await linkgap(['campaign', 'show', '--aws', DEMO_CAMPAIGN], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^2026-07-01\s+FAILED.*moz-bad-request: Moz said 400: limit too large$/m);

    expect((await linkgap(['campaign', 'disable', '--aws', DEMO_CAMPAIGN], env)).stdout).toContain(
      'disabled',
    );
    expect(
      (
        await linkgap(['campaign', 'list', '--aws', '--table', stack.names.tableName], {
          LINKGAP_HOME: env.LINKGAP_HOME as string,
        })
      ).stdout,
    ).toMatch(/acme-trail-shoes.*\bno$/m);
    expect((await linkgap(['campaign', 'enable', '--aws', DEMO_CAMPAIGN], env)).stdout).toContain('enabled');
    writeFileSync(file, JSON.stringify({ ...campaign, maxRowsPerRun: 777 }));
    expect((await linkgap(['campaign', 'update', '--aws', file], env)).code).toBe(0);
    expect((await linkgap(['campaign', 'show', '--aws', DEMO_CAMPAIGN], env)).stdout).toContain(
      '777 Moz rows per run',
    );

    // The local store was never touched.
    expect((await linkgap(['campaign', 'list'], env)).stdout).toContain('no campaigns');

    const removed = await linkgap(['campaign', 'remove', '--aws', DEMO_CAMPAIGN], env);
    expect(removed.stdout).toContain(
      `removed campaign acme-trail-shoes "Acme trail shoes" from DynamoDB table ${stack.names.tableName}`,
    );
    expect((await linkgap(['campaign', 'show', '--aws', DEMO_CAMPAIGN], env)).stderr).toContain(
      'no campaign "acme-trail-shoes" in DynamoDB table',
    );
  });

  it('says which setting is missing, naming the stack output', async () => {
    const result = await linkgap(['campaign', 'list', '--aws'], { LINKGAP_HOME: env.LINKGAP_HOME as string });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `linkgap: --aws needs the stack's TableName: pass --table <name> or set LINKGAP_TABLE (aws cloudformation describe-stacks --stack-name Linkgap --query "Stacks[0].Outputs[?OutputKey=='TableName'].OutputValue" --output text)`,
    );
    const download = await linkgap(['download', '--aws', '--campaign', DEMO_CAMPAIGN, '--out', out.path], {
      LINKGAP_HOME: env.LINKGAP_HOME as string,
    });
    expect(download.stderr).toContain(
      "--aws needs the stack's LakeBucketName: pass --bucket <name> or set LINKGAP_BUCKET",
    );
  });

  it('downloads from S3 exactly the bytes the lake holds, in the same layout', async () => {
    const dir = join(out.path, 'from-s3');
    const result = await linkgap(
      ['download', '--aws', '--campaign', DEMO_CAMPAIGN, '--all', '--what', 'all', '--out', dir],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`from s3://${stack.names.bucket}: 6 parquet file(s)`);
    expect(filesUnder(dir)).toEqual(uploaded);
    for (const key of uploaded)
      expect(readFileSync(join(dir, key)).equals(readFileSync(join(demo.home, 'lake', key)))).toBe(true);

    const csv = await linkgap(
      ['download', '--aws', '--campaign', DEMO_CAMPAIGN, '--format', 'csv', '--out', join(out.path, 'csv')],
      env,
    );
    expect(csv.code).toBe(0);
    expect(filesUnder(join(out.path, 'csv'))).toEqual(['acme-trail-shoes-prospects-2026-07-01.csv']);

    const missing = await linkgap(['download', '--aws', '--campaign', 'nope', '--out', dir], env);
    expect(missing).toMatchObject({
      code: 2,
      stderr: `linkgap: campaign "nope" has no committed runs in s3://${stack.names.bucket} yet (linkgap run --campaign nope)`,
    });
  });

  it('writes the report from the S3 lake', async () => {
    const path = join(out.path, 'report.html');
    const result = await linkgap(['report', '--aws', '--campaign', DEMO_CAMPAIGN, '--out', path], env);
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('2 committed run(s) from 2026-06-01 to 2026-07-01');
    expect(html).toContain(`s3://${stack.names.bucket}`);
  });

  it('submits the SQL to the Athena workgroup and database, and prints the results', async () => {
    // Athena result queues in moto are per region: a region of its own keeps other suites' queries out.
    vi.stubEnv('AWS_REGION', 'eu-west-3');
    vi.stubEnv('AWS_DEFAULT_REGION', 'eu-west-3');
    const athena = new AthenaClient({});
    try {
      const workgroup = `${stack.names.tableName}-wg`;
      await athena.send(new CreateWorkGroupCommand({ Name: workgroup }));
      const response = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, {
        method: 'POST',
        body: JSON.stringify({
          region: 'eu-west-3',
          results: [
            {
              rows: [
                { Data: [{ VarCharValue: 'run_date' }, { VarCharValue: 'gap_size' }] },
                { Data: [{ VarCharValue: '2026-06-01' }, { VarCharValue: '830' }] },
                { Data: [{ VarCharValue: '2026-07-01' }, { VarCharValue: '836' }] },
              ],
              column_info: [
                { Name: 'run_date', Type: 'varchar', Nullable: 'UNKNOWN' },
                { Name: 'gap_size', Type: 'integer', Nullable: 'UNKNOWN' },
              ],
            },
          ],
        }),
      });
      expect(response.status).toBe(201);

      const sql = `SELECT run_date, gap_size FROM runs WHERE campaign_id = '${DEMO_CAMPAIGN}' ORDER BY run_date`;
      const result = await linkgap(
        ['query', '--aws', '--athena', '--workgroup', workgroup, '--format', 'json', sql],
        { ...env, LINKGAP_DATABASE: 'linkgap_lake' },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([
        { run_date: '2026-06-01', gap_size: 830 },
        { run_date: '2026-07-01', gap_size: 836 },
      ]);

      const { QueryExecutionIds } = await athena.send(
        new ListQueryExecutionsCommand({ WorkGroup: workgroup }),
      );
      expect(QueryExecutionIds).toHaveLength(1);
      const { QueryExecution } = await athena.send(
        new GetQueryExecutionCommand({ QueryExecutionId: QueryExecutionIds?.[0] }),
      );
      expect(QueryExecution?.Query).toBe(sql);
      expect(QueryExecution?.WorkGroup).toBe(workgroup);
      expect(QueryExecution?.QueryExecutionContext?.Database).toBe('linkgap_lake');

      const empty = await linkgap(
        ['query', '--aws', '--athena', '--workgroup', workgroup, '--database', 'linkgap_lake', 'SELECT 1'],
        env,
      );
      expect(empty).toMatchObject({ code: 0, stdout: '(no rows; columns: )' });
    } finally {
      athena.destroy();
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('AWS_DEFAULT_REGION', 'us-east-1');
    }
  });
});

it('a missing --aws setting is one line on stderr of the real process: no SDK client is built first', async () => {
  const home = tempDir('aws-missing');
  const { LINKGAP_TABLE: _table, LINKGAP_BUCKET: _bucket, ...inherited } = process.env;
  try {
    const failed = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'cli/bin.ts', 'campaign', 'list', '--aws'],
      { env: { ...inherited, LINKGAP_HOME: home.path }, timeout: 30_000 },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    // Building an SDK client first added the SDK's multi-line Node version notice after the error.
    expect(failed?.stderr.trimEnd().split('\n')).toEqual([
      expect.stringContaining("linkgap: --aws needs the stack's TableName"),
    ]);
  } finally {
    home.remove();
  }
});
