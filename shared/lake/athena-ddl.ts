/**
 * The lake's Athena tables, from the lake contract: the definitions the stack's Glue tables are built
 * from, and `CREATE EXTERNAL TABLE` statements for people who run Athena without the CDK stack.
 * test/athena/athena-ddl.test.ts parses the statements and holds them equal to the synthesized tables.
 */
import { athenaTypeOf } from './columns.ts';
import { type Column, LAKE_TABLES, type LakeTableName } from './schema.ts';

/** First date partition projection enumerates; no run can predate the project (as in the stack). */
export const PROJECTION_START_DATE = '2024-01-01';

export interface AthenaTableFormat {
  readonly classification: string;
  readonly serde: string;
  readonly serdeProperties: Readonly<Record<string, string>>;
  readonly inputFormat: string;
  readonly outputFormat: string;
}

export const ATHENA_TABLE_FORMATS: Readonly<Record<'parquet' | 'json', AthenaTableFormat>> = {
  parquet: {
    classification: 'parquet',
    serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    serdeProperties: {},
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  },
  json: {
    classification: 'json',
    serde: 'org.openx.data.jsonserde.JsonSerDe',
    // A malformed manifest should fail the query loudly rather than silently drop a run.
    serdeProperties: { 'ignore.malformed.json': 'FALSE' },
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  },
};

export interface AthenaTableDefinition {
  readonly name: LakeTableName;
  /** Stored columns: the contract's, less the partition keys (Athena forbids a column that is both). */
  readonly columns: readonly Column[];
  readonly partitionKeys: readonly Column[];
  readonly format: AthenaTableFormat;
  readonly location: string;
  readonly properties: Readonly<Record<string, string>>;
}

/**
 * The definition of one lake table over `s3://<bucket>/<prefix>/`: the one source of the Glue tables
 * (infra/constructs/lake-catalog.ts, where the bucket is a CDK token) and of `linkgap athena ddl`.
 */
export function athenaTableDefinition(name: LakeTableName, bucket: string): AthenaTableDefinition {
  const table = LAKE_TABLES[name];
  const format = ATHENA_TABLE_FORMATS[table.format];
  const location = `s3://${bucket}/${table.prefix}/`;
  const partitionKeys: readonly Column[] = table.partitionKeys;
  const partitionNames = new Set<string>(partitionKeys.map((key) => key.name));
  // campaign_id, then the table's date key: run_date, or event_date for review events.
  const dateKey = partitionKeys[1]?.name ?? 'run_date';
  return {
    name,
    columns: table.columns.filter((column) => !partitionNames.has(column.name)),
    partitionKeys,
    format,
    location,
    properties: {
      EXTERNAL: 'TRUE',
      classification: format.classification,
      'projection.enabled': 'true',
      'projection.campaign_id.type': 'injected',
      [`projection.${dateKey}.type`]: 'date',
      [`projection.${dateKey}.format`]: 'yyyy-MM-dd',
      [`projection.${dateKey}.range`]: `${PROJECTION_START_DATE},NOW`,
      [`projection.${dateKey}.interval`]: '1',
      [`projection.${dateKey}.interval.unit`]: 'DAYS',
      'storage.location.template': `${location}campaign_id=\${campaign_id}/${dateKey}=\${${dateKey}}/`,
    },
  };
}

/** A Hive DDL string literal. */
function hiveString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

const columnLine = (column: Column): string =>
  `\`${column.name}\` ${athenaTypeOf(column)} COMMENT ${hiveString(column.comment)}`;

const propertyList = (properties: Readonly<Record<string, string>>): string =>
  Object.entries(properties)
    .map(([key, value]) => `  ${hiveString(key)}=${hiveString(value)}`)
    .join(',\n');

/** One `CREATE EXTERNAL TABLE` statement (Hive DDL, as Athena runs DDL), ending in `;`. */
export function createTableStatement(definition: AthenaTableDefinition, database: string): string {
  const { format } = definition;
  const serdeProperties =
    Object.keys(format.serdeProperties).length > 0
      ? `\nWITH SERDEPROPERTIES (\n${propertyList(format.serdeProperties)}\n)`
      : '';
  return `CREATE EXTERNAL TABLE IF NOT EXISTS \`${database}\`.\`${definition.name}\` (
${definition.columns.map((column) => `  ${columnLine(column)}`).join(',\n')}
)
COMMENT ${hiveString(`linkgap ${definition.name} (${format.classification})`)}
PARTITIONED BY (
${definition.partitionKeys.map((column) => `  ${columnLine(column)}`).join(',\n')}
)
ROW FORMAT SERDE ${hiveString(format.serde)}${serdeProperties}
STORED AS INPUTFORMAT ${hiveString(format.inputFormat)}
OUTPUTFORMAT ${hiveString(format.outputFormat)}
LOCATION ${hiveString(definition.location)}
TBLPROPERTIES (
${propertyList(definition.properties)}
);`;
}

export class AthenaDdlError extends Error {
  override name = 'AthenaDdlError';
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const DATABASE_NAME = /^[a-z0-9_]{1,255}$/;

/** The three statements, one per lake table, for a bucket and a Glue database. */
export function athenaDdl(bucket: string, database: string): string {
  if (!BUCKET_NAME.test(bucket))
    throw new AthenaDdlError(`not an S3 bucket name: ${JSON.stringify(bucket)} (3-63 of a-z 0-9 . -)`);
  if (!DATABASE_NAME.test(database))
    throw new AthenaDdlError(`not a Glue database name: ${JSON.stringify(database)} (a-z 0-9 _)`);
  const tables = Object.keys(LAKE_TABLES) as LakeTableName[];
  const statements = tables.map((name) =>
    createTableStatement(athenaTableDefinition(name, bucket), database),
  );
  return `CREATE DATABASE IF NOT EXISTS \`${database}\`;\n\n${statements.join('\n\n')}\n`;
}
