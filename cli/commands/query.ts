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
  // Read from the text alone: refused before DuckDB loads and opens the lake.
  refuseSeveralStatements(sql);
  const { openLake, toPlain } = await import('#lake/duckdb.ts');
  const lake = await openLake(lakeRoot, { confineToLake: true });
  try {
    await refuseWrites(lake, sql);
    const missing = missingTables(lake, sql);
    if (options.cookbook !== undefined && options.campaign !== undefined) {
      await refuseUnanswerableCookbook(lake, missing, options.campaign, lakeRoot);
    }
    const warning = missingTablesWarning(lake, missing, lakeRoot, options.cookbook !== undefined);
    if (warning) context.output.err(printable(warning));
    const reader = await lake.connection.runAndReadAll(sql).catch((error: unknown) => {
      throw queryFailed(error);
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

/**
 * How many statements the text holds, as the person wrote them: split at semicolons outside
 * strings ('…', E'…'), quoted names ("…"), dollar quotes ($tag$…$tag$) and comments (--, nested
 * /* *\/), not counting empty ones. DuckDB's own count cannot serve: it expands one PIVOT into
 * CREATE TYPE statements plus the SELECT.
 */
export function countSqlStatements(sql: string): number {
  let count = 0;
  let pending = false; // the current statement has something besides white space and comments
  let index = 0;
  while (index < sql.length) {
    const skipped = skipQuotedOrComment(sql, index);
    if (skipped.end > index) {
      pending ||= skipped.counts;
      index = skipped.end;
      continue;
    }
    const character = sql[index] ?? '';
    if (character === ';') {
      if (pending) count += 1;
      pending = false;
    } else if (!/\s/.test(character)) pending = true;
    index += 1;
  }
  return pending ? count + 1 : count;
}

/** The end of the string, quoted name, dollar quote or comment starting at `start` (else `start`). */
function skipQuotedOrComment(sql: string, start: number): { end: number; counts: boolean } {
  const rest = sql.slice(start);
  if (rest.startsWith('--')) {
    const newline = sql.indexOf('\n', start);
    return { end: newline === -1 ? sql.length : newline + 1, counts: false };
  }
  if (rest.startsWith('/*')) return { end: blockCommentEnd(sql, start), counts: false };
  const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
  if (dollar && !/[A-Za-z0-9_]/.test(sql[start - 1] ?? '')) {
    const close = sql.indexOf(dollar[0], start + dollar[0].length);
    return { end: close === -1 ? sql.length : close + dollar[0].length, counts: true };
  }
  const quote = sql[start];
  if (quote === "'" || quote === '"') {
    // E'…' strings take backslash escapes; elsewhere a doubled quote is the only escape.
    const backslashes = quote === "'" && /(^|[^A-Za-z0-9_])[eE]$/.test(sql.slice(0, start));
    let index = start + 1;
    while (index < sql.length) {
      const character = sql[index];
      if (backslashes && character === '\\') index += 2;
      else if (character === quote && sql[index + 1] === quote) index += 2;
      else if (character === quote) return { end: index + 1, counts: true };
      else index += 1;
    }
    return { end: sql.length, counts: true };
  }
  return { end: start, counts: false };
}

function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let index = start;
  while (index < sql.length) {
    if (sql.startsWith('/*', index)) {
      depth += 1;
      index += 2;
    } else if (sql.startsWith('*/', index)) {
      depth -= 1;
      index += 2;
      if (depth === 0) return index;
    } else index += 1;
  }
  return sql.length;
}

/** DuckDB runs every statement but returns only the last answer: say so instead of hiding the others. */
function refuseSeveralStatements(sql: string): void {
  const count = countSqlStatements(sql);
  if (count > 1) {
    throw new UsageError(
      `query runs one SQL statement at a time; this has ${count} (run each with its own linkgap query)`,
    );
  }
}

/**
 * Only SELECT statements run (SHOW, DESCRIBE, SUMMARIZE and PRAGMA queries are SELECTs to DuckDB):
 * the lake is confined to its folder, and this keeps a COPY, ATTACH or CREATE from writing into it.
 * DuckDB expands one PIVOT without IN (…) into CREATE TYPE statements (an in-memory enum of the
 * pivoted values) before the statement itself (within BEGIN/COMMIT when the PIVOT is part of a
 * bigger statement), and the statement cannot be prepared until those types exist. So: a first look
 * names each statement's type; the last that is not BEGIN/COMMIT is the one classified, and any
 * before it must be CREATEs, run (from a second extraction: an extracted statement prepares once)
 * and checked to have made exactly one pivot enum each.
 */
async function refuseWrites(lake: Lake, sql: string): Promise<void> {
  // Before DuckDB sees a statement that could write: preparing one already has effects (EXPORT
  // DATABASE makes its folder). The type check below still decides for what passes this.
  const opener = firstKeyword(sql);
  if (opener !== undefined && OTHER_STATEMENTS.has(opener)) throw refusal(opener);
  const extract = () => lake.connection.extractStatements(sql).catch(() => undefined);
  const statements = await extract();
  if (statements === undefined || statements.count === 0) return; // reported by the query itself
  const { StatementType } = await import('@duckdb/node-api');
  const looks: { type?: number; error?: unknown }[] = [];
  for (let index = 0; index < statements.count; index += 1) {
    looks.push(
      await statements.prepare(index).then(
        (prepared) => ({ type: prepared.statementType }),
        (error: unknown) => ({ error }),
      ),
    );
  }
  const indexes = looks.map((_, index) => index);
  const notTransaction = indexes.filter((index) => looks[index]?.type !== StatementType.TRANSACTION);
  const main = notTransaction.at(-1) ?? 0;
  const preludes = notTransaction.slice(0, -1);
  for (const index of preludes) {
    const type = looks[index]?.type;
    if (type !== StatementType.CREATE)
      throw type === undefined ? queryFailed(looks[index]?.error) : refusal(StatementType[type]);
  }
  if (preludes.length === 0) {
    const type = looks[main]?.type;
    if (type === undefined) throw queryFailed(looks[main]?.error);
    if (type !== StatementType.SELECT) throw refusal(StatementType[type]);
    return;
  }
  const again = await extract();
  if (again?.count !== statements.count) throw refusal(StatementType[StatementType.CREATE]);
  for (const index of preludes) {
    const prelude = await again.prepare(index).catch((error: unknown) => Promise.reject(queryFailed(error)));
    const before = await pivotEnumCount(lake);
    await prelude.run().catch((error: unknown) => Promise.reject(queryFailed(error)));
    if ((await pivotEnumCount(lake)) !== before + 1) throw refusal(StatementType[StatementType.CREATE]);
  }
  const statement = await again.prepare(main).catch((error: unknown) => Promise.reject(queryFailed(error)));
  if (statement.statementType !== StatementType.SELECT) throw refusal(StatementType[statement.statementType]);
}

function queryFailed(error: unknown): UsageError {
  return new UsageError(
    `query failed: ${duckdbErrorLine(error instanceof Error ? error.message : String(error))}`,
  );
}

function refusal(kind = 'non-SELECT'): UsageError {
  const article = /^[AEIOU]/i.test(kind) ? 'an' : 'a';
  return new UsageError(
    `query runs only SELECT statements (read-only over the lake); this is ${article} ${kind} statement`,
  );
}

/**
 * The words DuckDB's other statements begin with (a typo is left to DuckDB's parser, which names it;
 * the read-only SELECT forms and PRAGMA go on to the type check).
 */
const OTHER_STATEMENTS = new Set([
  'ALTER',
  'ANALYZE',
  'ATTACH',
  'BEGIN',
  'CALL',
  'CHECKPOINT',
  'COMMENT',
  'COMMIT',
  'COPY',
  'CREATE',
  'DEALLOCATE',
  'DELETE',
  'DETACH',
  'DROP',
  'EXECUTE',
  'EXPLAIN',
  'EXPORT',
  'FORCE',
  'IMPORT',
  'INSERT',
  'INSTALL',
  'LOAD',
  'MERGE',
  'PREPARE',
  'RESET',
  'ROLLBACK',
  'SET',
  'START',
  'TRUNCATE',
  'UPDATE',
  'UPSERT',
  'USE',
  'VACUUM',
]);

/** The statement's first word, upper-cased, after white space, comments and opening parentheses. */
function firstKeyword(sql: string): string | undefined {
  let index = 0;
  while (index < sql.length) {
    const skipped = skipQuotedOrComment(sql, index);
    if (skipped.end > index && !skipped.counts) index = skipped.end;
    else if (/[\s(]/.test(sql[index] ?? '')) index += 1;
    else break;
  }
  return /^[A-Za-z_]+/.exec(sql.slice(index))?.[0].toUpperCase();
}

async function pivotEnumCount(lake: Lake): Promise<number> {
  const rows = await lake.query(
    "SELECT count(*) AS n FROM duckdb_types() WHERE starts_with(type_name, '__pivot_enum_')",
  );
  return Number(rows[0]?.n ?? 0);
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
