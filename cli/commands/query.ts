import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { toCsv } from '#lake/csv.ts';
import type { Lake } from '#lake/duckdb.ts';
import { findLakeQuery, LAKE_QUERIES, withCampaign } from '#lake/queries.ts';
import type { Column, LakeTableName } from '#lake/schema.ts';
import { campaignIdArgument, exitTwoOnUsageErrors } from '../arguments.ts';
import type { AthenaResult } from '../athena.ts';
import { localHome } from '../backend.ts';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { awsSetting, stackOption } from '../options.ts';
import { formatTable, printable } from '../output.ts';

type QueryFormat = 'table' | 'csv' | 'json';

interface QueryOptions {
  format: string;
  lake?: string;
  cookbook?: string;
  campaign?: string;
  aws?: boolean;
  athena?: boolean;
  workgroup?: string;
  database?: string;
}

export function registerQueryCommand(program: Command, context: CommandContext): void {
  exitTwoOnUsageErrors(program.command('query'))
    .description(
      'run SQL over the views prospects, changes, runs and reviews (local DuckDB, or Athena with --aws --athena)',
    )
    .argument('[sql]', 'the SQL; the same text runs in Athena (see docs/cookbook.md)')
    .option('--format <format>', 'table, csv or json', 'table')
    .option('--lake <dir>', 'a lake folder, e.g. from linkgap download --all (default: $LINKGAP_HOME/lake)')
    .option('--cookbook <id>', 'run a cookbook query instead of <sql> ("list" lists them)')
    .option('--campaign <id>', 'with --cookbook: the campaign to ask about')
    .option('--aws', 'with --athena: use the deployed stack')
    .option('--athena', "run in the stack's Athena workgroup (needs --aws)")
    .option(...stackOption('workgroup'))
    .option(...stackOption('database'))
    .action(async (sqlArgument: string | undefined, options: QueryOptions) => {
      const format = options.format as QueryFormat;
      if (!['table', 'csv', 'json'].includes(format))
        throw new UsageError(`--format must be table, csv or json; got "${options.format}"`);
      if (options.cookbook === 'list') {
        context.output.out(
          formatTable(LAKE_QUERIES.map((query) => ({ id: query.id, question: query.question }))),
        );
        return;
      }
      const sql = chooseSql(sqlArgument, options);
      if (options.athena && !options.aws)
        throw new UsageError('--athena runs in the deployed stack: add --aws');
      if (options.aws && !options.athena) {
        throw new UsageError(
          'query --aws needs --athena (or download the files with --aws and query them locally)',
        );
      }
      if (options.athena && options.lake !== undefined)
        throw new UsageError('--lake is a local folder; it does not go with --athena');
      const result = options.athena
        ? await queryAthena(sql, options, context)
        : await queryLocal(sql, options, context);
      context.output.out(formatRows(result.columns, result.rows, format));
    });
}

function chooseSql(sqlArgument: string | undefined, options: QueryOptions): string {
  if (options.cookbook !== undefined) {
    if (sqlArgument !== undefined) throw new UsageError('give either <sql> or --cookbook, not both');
    const query = findLakeQuery(options.cookbook);
    if (!query) {
      throw new UsageError(
        `no cookbook query "${options.cookbook}"; one of: ${LAKE_QUERIES.map((q) => q.id).join(', ')}`,
      );
    }
    if (options.campaign === undefined) throw new UsageError('--cookbook needs --campaign <id>');
    return withCampaign(query.sql, campaignIdArgument(options.campaign, '--campaign id'));
  }
  if (sqlArgument === undefined || sqlArgument.trim() === '') {
    throw new UsageError(
      'give the SQL to run, e.g. linkgap query "SELECT * FROM runs WHERE campaign_id = \'<id>\'"',
    );
  }
  if (options.campaign !== undefined)
    throw new UsageError('--campaign goes with --cookbook; put the campaign id in your SQL');
  return sqlArgument;
}

/** DuckDB error text is several lines (a caret under the SQL); keep what says what is wrong. */
export function duckdbErrorLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('LINE ') && !/^\^+$/.test(line))
    .join(' ');
}

async function queryLocal(
  sql: string,
  options: QueryOptions,
  context: CommandContext,
): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  const lakeRoot = options.lake !== undefined ? resolve(options.lake) : join(localHome(context.env), 'lake');
  const isFolder = await stat(lakeRoot).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isFolder) {
    throw new UsageError(
      options.lake !== undefined
        ? `--lake ${options.lake} is not a folder (make one with linkgap download --campaign <id> --all --what all --out <dir>)`
        : `no local lake at ${lakeRoot} yet (linkgap demo, or linkgap run, writes one; or pass --lake <dir>)`,
    );
  }
  const { openLake, toPlain } = await import('#lake/duckdb.ts');
  const lake = await openLake(lakeRoot, { confineToLake: true });
  try {
    await refuseSeveralStatements(lake, sql);
    await refuseWrites(lake, sql);
    const missing = missingTables(lake, sql);
    if (options.cookbook !== undefined && options.campaign !== undefined) {
      await refuseUnanswerableCookbook(lake, missing, options.campaign, lakeRoot);
    }
    const warning = missingTablesWarning(lake, missing, lakeRoot, options.cookbook !== undefined);
    if (warning) context.output.err(printable(warning));
    const reader = await lake.connection.runAndReadAll(sql).catch((error: unknown) => {
      throw new UsageError(
        `query failed: ${duckdbErrorLine(error instanceof Error ? error.message : String(error))}`,
      );
    });
    const columns = reader.columnNames();
    const rows = reader
      .getRows()
      .map((values) =>
        Object.fromEntries(columns.map((name, index) => [name, toPlain(values[index] ?? null)])),
      );
    return { columns, rows };
  } finally {
    lake.close();
  }
}

/** DuckDB runs every statement but returns only the last answer: say so instead of hiding the others. */
async function refuseSeveralStatements(lake: Lake, sql: string): Promise<void> {
  const statements = await lake.connection.extractStatements(sql).catch(() => undefined);
  // A statement DuckDB cannot parse is reported by the query itself, with DuckDB's own message.
  if (statements !== undefined && statements.count > 1) {
    throw new UsageError(
      `query runs one SQL statement at a time; this has ${statements.count} (run each with its own linkgap query)`,
    );
  }
}

/**
 * Only SELECT statements run (SHOW, DESCRIBE, SUMMARIZE and PRAGMA queries are SELECTs to DuckDB):
 * the lake is confined to its folder, and this keeps a COPY, ATTACH or CREATE from writing into it.
 */
async function refuseWrites(lake: Lake, sql: string): Promise<void> {
  const statements = await lake.connection.extractStatements(sql).catch(() => undefined);
  if (statements === undefined || statements.count !== 1) return; // reported by the query itself
  const { StatementType } = await import('@duckdb/node-api');
  const prepared = await statements.prepare(0).catch((error: unknown) => {
    throw new UsageError(
      `query failed: ${duckdbErrorLine(error instanceof Error ? error.message : String(error))}`,
    );
  });
  if (prepared.statementType !== StatementType.SELECT) {
    const kind = StatementType[prepared.statementType] ?? 'non-SELECT';
    throw new UsageError(
      `query runs only SELECT statements (read-only over the lake); this is a ${kind} statement`,
    );
  }
}

/**
 * The lake views the SQL reads (FROM / JOIN, which is how every cookbook query names them) that have
 * no files in this lake, e.g. a download of one table. DuckDB's own getTableNames sees through the
 * views to no table at all, so the names are read from the text.
 */
function missingTables(lake: Lake, sql: string): LakeTableName[] {
  const read = new Set(
    [...sql.matchAll(/\b(?:from|join)\s+"?(prospects|changes|runs|reviews)\b/gi)].map((match) =>
      match[1]?.toLowerCase(),
    ),
  );
  return lake.tablesWithoutFiles().filter((table) => read.has(table));
}

/**
 * Views the SQL reads that have no files, said on stderr. No review events is a normal lake (nobody
 * reviewed yet, or a download without them): every prospect then reads as to_review, which is said
 * rather than refused. A lake without runs is refused or says so itself.
 */
function missingTablesWarning(
  lake: Lake,
  missing: readonly LakeTableName[],
  lakeRoot: string,
  cookbook: boolean,
): string | undefined {
  if (lake.tablesWithoutFiles().includes('runs')) return undefined;
  // A cookbook query was refused for any missing run table (refuseUnanswerableCookbook).
  const shown = cookbook ? missing.filter((table) => table === 'reviews') : missing;
  if (shown.length === 0) return undefined;
  if (shown.length === 1 && shown[0] === 'reviews')
    return `linkgap: note: ${lakeRoot} has no review events: every prospect reads as to_review and nothing as won (a download needs --what all or reviews)`;
  return `linkgap: warning: ${lakeRoot} has no ${shown.join(' or ')} files; those views are empty (download them with --what all)`;
}

/**
 * A cookbook answer over a lake that lacks one of its tables, or for a campaign without runs, would
 * be zeros or "(no rows)" that look like a real answer: refuse and say why.
 */
async function refuseUnanswerableCookbook(
  lake: Lake,
  missing: readonly LakeTableName[],
  campaign: string,
  lakeRoot: string,
): Promise<void> {
  const runs = await lake.query(`SELECT count(*) AS n FROM runs WHERE campaign_id = '${campaign}'`);
  if (Number(runs[0]?.n ?? 0) === 0) {
    throw new UsageError(
      `campaign "${campaign}" has no committed runs in ${lakeRoot} (linkgap campaign list; linkgap run --campaign ${campaign})`,
    );
  }
  // No review events is a lake where nobody has reviewed yet: answered, with a note (missingTablesWarning).
  const runTables = missing.filter((table) => table !== 'reviews');
  if (runTables.length > 0) {
    throw new UsageError(
      `${lakeRoot} has no ${runTables.join(' or ')} files, so this cookbook query would answer with zeros; download every table: linkgap download --campaign ${campaign} --all --what all --format parquet --out <dir>`,
    );
  }
}

async function queryAthena(
  sql: string,
  options: QueryOptions,
  context: CommandContext,
): Promise<AthenaResult> {
  // Read first: a missing setting is refused before any SDK module loads.
  const workgroup = awsSetting('workgroup', options.workgroup, context.env);
  const database = awsSetting('database', options.database, context.env);
  // The AWS SDK loads only here: a local query never pays for it.
  const [{ openAwsClients }, { runAthenaQuery }] = await Promise.all([
    import('../aws.ts'),
    import('../athena.ts'),
  ]);
  const clients = openAwsClients();
  try {
    return await runAthenaQuery(clients.athena, sql, { workgroup, database });
  } finally {
    clients.close();
  }
}

/** Rows in the chosen format. CSV here has no byte order mark: it is for pipes and redirects. */
export function formatRows(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  format: QueryFormat,
): string {
  if (format === 'json')
    return JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? Number(value) : value), 2);
  if (format === 'csv') {
    const asColumns: Column[] = columns.map((name) => ({ name, type: 'string', comment: '' }));
    return toCsv(asColumns, rows)
      .replace(/^\uFEFF/, '')
      .replace(/\r\n$/, '');
  }
  return rows.length === 0
    ? printable(`(no rows; columns: ${columns.join(', ')})`)
    : formatTable(rows, columns);
}
