/**
 * DuckDB views over a local lake folder, for `linkgap query`, reports and tests. The SQL people run
 * here is the SQL they run in Athena: views `prospects`, `changes`, `runs` with exactly the contract's
 * columns, in contract order, and the partition keys as VARCHAR (Athena's are strings too).
 *
 * Kept in its own file on purpose: it imports the native @duckdb/node-api, which Lambda bundles
 * must never pull in. Nothing else in shared/lake imports this file.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import {
  DuckDBArrayValue,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { type Column, LAKE_TABLES, type LakeTableName } from './schema.ts';

/** The DuckDB type a contract column reads back as. */
export function duckdbTypeOf(column: Column): string {
  switch (column.type) {
    case 'string':
      return 'VARCHAR';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'array<string>':
      return 'VARCHAR[]';
  }
}

export interface Lake {
  connection: DuckDBConnection;
  /** The tables that had no files when the views were last made (their views are empty). */
  tablesWithoutFiles(): LakeTableName[];
  /** Run SQL; values come back as plain JS (see toPlain). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Re-create the views, e.g. after the first files of a table were written. */
  refresh(): Promise<void>;
  close(): void;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** DuckDB reads `*`, `?` and `[` anywhere in a path as a glob; `[c]` matches the character itself. */
const escapeGlob = (path: string) => path.replace(/[*?[]/g, (character) => `[${character}]`);

/**
 * The lake folder as DuckDB globs can name it, whatever the folder is called. Glob characters are
 * escaped; a backslash cannot be escaped in a DuckDB glob (outside Windows, where it is the
 * separator), so such a folder is reached through a symbolic link with a plain name instead.
 */
async function globbableRoot(lakeRoot: string): Promise<{ root: string; folder: string; dispose(): void }> {
  const root = lakeRoot.replace(/[\\/]+$/, '');
  if (sep === '\\' || !root.includes('\\')) return { root: escapeGlob(root), folder: root, dispose() {} };
  const folder = await mkdtemp(join(tmpdir(), 'linkgap-lake-'));
  const link = join(folder, 'lake');
  await symlink(root, link, 'junction');
  // rm removes the link itself, never what it points to.
  return {
    root: escapeGlob(link),
    folder: link,
    dispose: () => rmSync(folder, { recursive: true, force: true }),
  };
}

function fileGlob(root: string, table: LakeTableName): string {
  return `${root}/${LAKE_TABLES[table].prefix}/**/*.${LAKE_TABLES[table].format}`;
}

function readerSql(table: LakeTableName, glob: string): string {
  const columns: readonly Column[] = LAKE_TABLES[table].columns;
  // Partition keys stay VARCHAR, as in Athena; DuckDB merges them with the same-named file columns.
  const hive = 'hive_partitioning = true, hive_types_autocast = false, union_by_name = true';
  if (LAKE_TABLES[table].format === 'parquet') return `read_parquet(${sqlString(glob)}, ${hive})`;
  const types = columns
    .map((column) => `${ident(column.name)}: ${sqlString(duckdbTypeOf(column))}`)
    .join(', ');
  return `read_json(${sqlString(glob)}, format = 'newline_delimited', columns = {${types}}, ${hive})`;
}

/**
 * The view: exactly the contract columns, cast to their contract types; typed and empty without
 * files. `inFiles` names the columns the files hold: a column appended after every file was written
 * reads as NULL, as it does in Athena.
 */
function viewSql(table: LakeTableName, glob: string, inFiles: ReadonlySet<string> | undefined): string {
  const columns: readonly Column[] = LAKE_TABLES[table].columns;
  const select = columns
    .map(
      (column) =>
        `CAST(${inFiles?.has(column.name) ? ident(column.name) : 'NULL'} AS ${duckdbTypeOf(column)}) AS ${ident(column.name)}`,
    )
    .join(', ');
  const from = inFiles ? ` FROM ${readerSql(table, glob)}` : ' WHERE false';
  return `CREATE OR REPLACE VIEW ${ident(table)} AS SELECT ${select}${from}`;
}

/** The columns the table's files hold (JSON tables are read with the contract's columns). */
async function columnsInFiles(connection: DuckDBConnection, table: LakeTableName, glob: string) {
  if (LAKE_TABLES[table].format !== 'parquet') return new Set(LAKE_TABLES[table].columns.map((c) => c.name));
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${readerSql(table, glob)}`);
  return new Set(described.getRowObjects().map((row) => String(row.column_name)));
}

/**
 * Open an in-memory DuckDB with views over `<lakeRoot>/{prospects,changes,runs}/`. A table with no
 * files yet gets an empty view of the right shape; call `refresh()` once files exist.
 * `confineToLake`: DuckDB may then touch no file outside the lake folder (no reading /etc/passwd,
 * no COPY to /tmp, no extensions), and the setting is locked so SQL cannot lift it. Inside the
 * folder DuckDB could still write: callers running people's SQL also allow only SELECT statements.
 */
export async function openLake(lakeRoot: string, options: { confineToLake?: boolean } = {}): Promise<Lake> {
  const { root, folder, dispose } = await globbableRoot(lakeRoot);
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  try {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  } catch (error) {
    dispose();
    throw error;
  }
  let empty: LakeTableName[] = [];
  let scratch: string | undefined;
  const close = () => {
    connection.closeSync();
    instance.closeSync();
    dispose();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  };

  async function refresh(): Promise<void> {
    const withoutFiles: LakeTableName[] = [];
    for (const table of Object.keys(LAKE_TABLES) as LakeTableName[]) {
      const glob = fileGlob(root, table);
      const found = await connection.runAndReadAll(`SELECT count(*) AS n FROM glob(${sqlString(glob)})`);
      const hasFiles = Number(found.getRowObjects()[0]?.n ?? 0) > 0;
      if (!hasFiles) withoutFiles.push(table);
      const inFiles = hasFiles ? await columnsInFiles(connection, table, glob) : undefined;
      await connection.run(viewSql(table, glob, inFiles));
    }
    empty = withoutFiles;
  }

  try {
    await refresh();
    if (options.confineToLake) {
      // DuckDB checks a glob by its text, so the escaped root (`brackets [[]1]`) is allowed too.
      const allowed = [...new Set([`${folder}/`, `${root}/`])].map(sqlString).join(', ');
      // DuckDB allows its temp folder too, by default `<cwd>/.tmp`: the SQL could then read whatever
      // sits there. A private folder of this process's own, removed on close, holds only DuckDB's spill.
      scratch = await mkdtemp(join(tmpdir(), 'linkgap-duckdb-'));
      await connection.run(`SET temp_directory = ${sqlString(scratch)}`);
      await connection.run(`SET allowed_directories = [${allowed}]`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
    }
  } catch (error) {
    close();
    throw error;
  }

  return {
    connection,
    tablesWithoutFiles: () => [...empty],
    async query(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjects().map((row) => {
        const plain: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(row)) plain[name] = toPlain(value);
        return plain;
      });
    },
    refresh,
    close,
  };
}

function microsToIso(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}

/**
 * DuckDB values → plain JS: BIGINT/HUGEINT → number (a decimal string beyond 2^53), DECIMAL →
 * number, DATE → 'YYYY-MM-DD', TIMESTAMP (any unit, with or without time zone) → ISO-8601 UTC,
 * LIST/ARRAY → array, STRUCT → object; anything else exotic → its DuckDB text.
 */
export function toPlain(value: DuckDBValue): unknown {
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  ) {
    return value;
  }
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return value.isFinite ? microsToIso(value.micros) : value.toString();
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) return new Date(Number(value.millis)).toISOString();
  if (value instanceof DuckDBTimestampSecondsValue)
    return new Date(Number(value.seconds) * 1000).toISOString();
  if (value instanceof DuckDBTimestampNanosecondsValue)
    return new Date(Number(value.nanos / 1_000_000n)).toISOString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(toPlain);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([key, item]) => [key, toPlain(item)]));
  }
  return value.toString();
}
