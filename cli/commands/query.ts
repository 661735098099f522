import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { toCsv } from '#lake/csv.ts';
import { findLakeQuery, LAKE_QUERIES, withCampaign } from '#lake/queries.ts';
import type { Column } from '#lake/schema.ts';
import type { AthenaResult } from '../athena.ts';
import { localHome } from '../backend.ts';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatTable } from '../output.ts';

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
  program
    .command('query')
    .description(
      'run SQL over the views prospects, changes and runs (local DuckDB, or Athena with --aws --athena)',
    )
    .argument('[sql]', 'the SQL; the same text runs in Athena (see docs/cookbook.md)')
    .option('--format <format>', 'table, csv or json', 'table')
    .option('--lake <dir>', 'a lake folder, e.g. from linkgap download --all (default: $LINKGAP_HOME/lake)')
    .option('--cookbook <id>', 'run a cookbook query instead of <sql> ("list" lists them)')
    .option('--campaign <id>', 'with --cookbook: the campaign to ask about')
    .option('--aws', 'with --athena: use the deployed stack')
    .option('--athena', "run in the stack's Athena workgroup (needs --aws)")
    .option(
      '--workgroup <name>',
      'Athena workgroup (default: $LINKGAP_WORKGROUP; stack output AthenaWorkGroupName)',
    )
    .option('--database <name>', 'Glue database (default: $LINKGAP_DATABASE; stack output GlueDatabaseName)')
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
    return withCampaign(query.sql, options.campaign);
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
  const lake = await openLake(lakeRoot);
  try {
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

async function queryAthena(
  sql: string,
  options: QueryOptions,
  context: CommandContext,
): Promise<AthenaResult> {
  // The AWS SDK loads only here: a local query never pays for it.
  const [{ awsSetting, openAwsClients }, { runAthenaQuery }] = await Promise.all([
    import('../aws.ts'),
    import('../athena.ts'),
  ]);
  const workgroup = awsSetting('workgroup', options.workgroup, context.env);
  const database = awsSetting('database', options.database, context.env);
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
  return rows.length === 0 ? `(no rows; columns: ${columns.join(', ')})` : formatTable(rows, columns);
}
