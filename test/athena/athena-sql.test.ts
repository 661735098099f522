/**
 * Every SQL text linkgap ships (cookbook queries, the stack's Athena named queries, docs/cookbook.md,
 * the README's examples) against Athena's dialect without an account: parsed with a maintained Trino
 * grammar (dt-sql-parser), its tables and columns looked up in the Glue tables of the synthesized
 * stack, linted for the differences no parser sees, and bound in DuckDB over tables typed from Glue.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE_QUERIES } from '#lake/queries.ts';
import { type GlueTable, queryableColumns, shippedSql, synthesizedGlueTables } from './support.ts';
import { athenaProblems, trinoSyntaxErrors } from './trino-sql.ts';

const shipped = shippedSql();
let glue: Record<string, GlueTable>;

beforeAll(() => {
  glue = synthesizedGlueTables();
});

describe('the shipped SQL texts', () => {
  it('are all found: every cookbook query, in docs/cookbook.md too, plus the README examples', () => {
    const names = shipped.map((text) => text.name);
    expect(names.filter((name) => name.startsWith('cookbook query'))).toHaveLength(LAKE_QUERIES.length);
    expect(names.filter((name) => name.startsWith('docs/cookbook.md'))).toHaveLength(LAKE_QUERIES.length);
    expect(names.filter((name) => name.startsWith('Athena named query')).length).toBeGreaterThan(0);
    expect(names.filter((name) => name.startsWith('README.md')).length).toBeGreaterThan(0);
  });
});

describe("Trino's grammar", () => {
  it.each(shipped.map((text) => [text.name, text.sql]))('parses %s', (_name, sql) => {
    expect(trinoSyntaxErrors(sql)).toEqual([]);
  });

  it.each([
    ['a :: cast', "SELECT run_date::DATE FROM runs WHERE campaign_id = 'a'"],
    ['ILIKE', "SELECT source FROM prospects WHERE campaign_id = 'a' AND title ILIKE '%x%'"],
    ['a FROM-first query', "FROM runs SELECT run_id WHERE campaign_id = 'a'"],
    ['QUALIFY', "SELECT source FROM prospects WHERE campaign_id = 'a' QUALIFY row_number() OVER () = 1"],
    ['a list literal', "SELECT [1, 2] FROM runs WHERE campaign_id = 'a'"],
    ['string slicing', "SELECT run_date[1:7] FROM runs WHERE campaign_id = 'a'"],
    ['GROUP BY ALL', "SELECT run_date, count(*) FROM runs WHERE campaign_id = 'a' GROUP BY ALL"],
  ])('refuses DuckDB-only syntax: %s', (_construct, sql) => {
    expect(trinoSyntaxErrors(sql)).not.toEqual([]);
  });
});

describe('tables, columns and dialect rules (Glue tables from the synthesized template)', () => {
  it.each(shipped.map((text) => [text.name, text.sql]))('%s has no Athena problem', (_name, sql) => {
    expect(athenaProblems(sql, glue)).toEqual([]);
  });

  const pinned = "WHERE r.campaign_id = 'a'";
  it.each([
    ['an unknown column', `SELECT r.gap_sise FROM runs r ${pinned}`, 'column r.gap_sise does not exist'],
    [
      'an unknown table',
      "SELECT x FROM prospect WHERE campaign_id = 'a'",
      'table prospect is not a Glue table',
    ],
    [
      'integer division',
      `SELECT sum(r.closed_count) / sum(r.previous_gap_size) FROM runs r ${pinned}`,
      'integer division',
    ],
    [
      'date_diff on timestamps',
      `SELECT date_diff('day', r.started_at, r.finished_at) FROM runs r ${pinned}`,
      'is timestamp, not DATE',
    ],
    [
      "date_diff with another unit than 'day'",
      `SELECT date_diff('month', CAST(r.run_date AS DATE), DATE '2026-01-01') FROM runs r ${pinned}`,
      "date_diff unit 'month'",
    ],
    [
      'a table without its campaign_id pin',
      `SELECT p.source FROM prospects p JOIN runs r ON r.run_id = p.run_id ${pinned}`,
      'table prospects (as p) does not pin campaign_id',
    ],
    [
      'a pin under OR',
      "SELECT r.run_id FROM runs r WHERE r.campaign_id = 'a' OR r.gap_size > 1",
      'table runs (as r) does not pin campaign_id',
    ],
    [
      'a pin compared with a column instead of a literal',
      'SELECT r.run_id FROM runs r WHERE r.campaign_id = r.run_id',
      'table runs (as r) does not pin campaign_id',
    ],
    [
      'concat over a nullable column',
      `SELECT concat(r.previous_run_id, '-') FROM runs r ${pinned}`,
      "concat(...) argument r.previous_run_id may be NULL: Trino's concat returns NULL",
    ],
    [
      'greatest over a nullable column',
      `SELECT greatest(r.previous_gap_size, r.gap_size) FROM runs r ${pinned}`,
      'greatest(...) argument r.previous_gap_size may be NULL',
    ],
    [
      'cardinality',
      "SELECT cardinality(p.matched_targets) FROM prospects p WHERE p.campaign_id = 'a'",
      'function cardinality',
    ],
    [
      'a DuckDB list function',
      "SELECT list_contains(p.matched_targets, 'x') FROM prospects p WHERE p.campaign_id = 'a'",
      'function list_contains: DuckDB only',
    ],
  ])('catches %s', (_case, sql, expected) => {
    expect(athenaProblems(sql, glue).join('\n')).toContain(expected);
  });

  it.each([
    ['a pin with IN', "SELECT r.run_id FROM runs r WHERE r.campaign_id IN ('a', 'b') AND r.gap_size > 1"],
    ['a cast division', `SELECT CAST(sum(r.closed_count) AS DOUBLE) / sum(r.gap_size) FROM runs r ${pinned}`],
    ['concat over coalesce', `SELECT concat(coalesce(r.previous_run_id, ''), '-') FROM runs r ${pinned}`],
    ['concat over partition keys', `SELECT concat(r.campaign_id, '/', r.run_date) FROM runs r ${pinned}`],
  ])('accepts %s', (_case, sql) => {
    expect(athenaProblems(sql, glue)).toEqual([]);
  });
});

/** Glue (Hive) type → the DuckDB type with the same values. */
const DUCKDB_TYPE_OF_GLUE: Record<string, string> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  'array<string>': 'VARCHAR[]',
};

describe('types: every shipped text binds over tables typed from the Glue columns', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    for (const table of Object.values(glue)) {
      const columns = queryableColumns(table).map((column) => {
        const type = DUCKDB_TYPE_OF_GLUE[column.type];
        if (type === undefined) throw new Error(`no DuckDB type for Glue type ${column.type}`);
        return `${column.name} ${type}`;
      });
      await connection.run(`CREATE TABLE ${table.name} (${columns.join(', ')})`);
    }
  });

  afterAll(() => {
    connection?.closeSync();
    instance?.closeSync();
  });

  it.each(shipped.map((text) => [text.name, text.sql]))('%s binds', async (_name, sql) => {
    await expect(connection.run(`EXPLAIN ${sql.replace(/^(--[^\n]*\n)+/, '')}`)).resolves.toBeDefined();
  });
});
