/**
 * `linkgap athena ddl`: the statements people without CDK run in Athena. Parsed with dt-sql-parser's
 * Hive grammar (Athena runs DDL as Hive DDL), and held equal to the stack's synthesized Glue tables:
 * columns and types, partition keys, SerDe, formats and every projection property.
 */
import { HiveSQL } from 'dt-sql-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { athenaTableDefinition } from '#lake/athena-ddl.ts';
import { LAKE_TABLES, type LakeTableName } from '#lake/schema.ts';
import { linkgap } from '#test/support/cli.ts';
import { type GlueTable, synthesizedGlueTables } from './support.ts';

const hive = new HiveSQL();
const BUCKET = 'my-lake-bucket';
let glue: Record<string, GlueTable>;
let ddl: string;

beforeAll(async () => {
  glue = synthesizedGlueTables();
  const result = await linkgap(['athena', 'ddl', '--bucket', BUCKET, '--database', 'linkgap_lake'], {});
  expect(result).toMatchObject({ code: 0, stderr: '' });
  ddl = result.stdout;
});

const tableNames = Object.keys(LAKE_TABLES) as LakeTableName[];

describe('linkgap athena ddl', () => {
  it("parses with Athena's DDL grammar (Hive)", () => {
    expect(hive.validate(ddl)).toEqual([]);
  });

  it('creates the database and one external table per lake table', () => {
    expect(ddl).toContain('CREATE DATABASE IF NOT EXISTS `linkgap_lake`;');
    for (const name of tableNames)
      expect(ddl).toContain(`CREATE EXTERNAL TABLE IF NOT EXISTS \`linkgap_lake\`.\`${name}\` (`);
  });

  it.each(tableNames)('%s has the Glue table columns, in order, with their types', (name) => {
    const definition = athenaTableDefinition(name, BUCKET);
    const table = glue[name] as GlueTable;
    const columnsOf = (columns: readonly { name: string; type: string }[]) =>
      columns.map((column) => `${column.name} ${column.type}`);
    expect(columnsOf(definition.columns.map((c) => ({ name: c.name, type: c.type })))).toEqual(
      columnsOf(table.columns),
    );
    expect(columnsOf(definition.partitionKeys.map((c) => ({ name: c.name, type: c.type })))).toEqual(
      columnsOf(table.partitionKeys),
    );
    for (const column of [...table.columns, ...table.partitionKeys])
      expect(ddl).toContain(`\`${column.name}\` ${column.type} COMMENT`);
  });

  it.each(tableNames)('%s has the Glue SerDe, formats and partition projection', (name) => {
    const definition = athenaTableDefinition(name, BUCKET);
    const table = glue[name] as GlueTable;
    expect(definition.format.serde).toBe(table.serializationLibrary);
    expect(definition.format.serdeProperties).toEqual(table.serdeParameters);
    expect([definition.format.inputFormat, definition.format.outputFormat]).toEqual([
      table.inputFormat,
      table.outputFormat,
    ]);
    // The stack's location template joins the bucket reference in CloudFormation; compare the rest.
    const { 'storage.location.template': template, ...properties } = definition.properties;
    const { 'storage.location.template': glueTemplate, ...glueProperties } = table.parameters;
    expect(properties).toEqual(glueProperties);
    const dateKey = name === 'reviews' ? 'event_date' : 'run_date';
    expect(template).toBe(
      `s3://${BUCKET}/${LAKE_TABLES[name].prefix}/campaign_id=\${campaign_id}/${dateKey}=\${${dateKey}}/`,
    );
    expect(glueTemplate).toContain(
      `/${LAKE_TABLES[name].prefix}/campaign_id=\${campaign_id}/${dateKey}=\${${dateKey}}/`,
    );
    expect(ddl).toContain(`'storage.location.template'='${template}'`);
  });

  it('refuses a bad bucket name or a missing bucket with a one-line usage error', async () => {
    expect(await linkgap(['athena', 'ddl', '--bucket', 'Bad_Bucket'], {})).toMatchObject({
      code: 2,
      stderr: 'linkgap: not an S3 bucket name: "Bad_Bucket" (3-63 of a-z 0-9 . -)',
    });
    expect(await linkgap(['athena', 'ddl'], {})).toMatchObject({
      code: 2,
      stderr: 'linkgap: --bucket (or $LINKGAP_BUCKET) is required',
    });
  });

  it('takes the bucket from $LINKGAP_BUCKET', async () => {
    const result = await linkgap(['athena', 'ddl'], { LINKGAP_BUCKET: 'env-bucket' });
    expect(result.stdout).toContain("LOCATION 's3://env-bucket/runs/'");
  });
});
