import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { type Column, type ColumnType, LAKE_TABLES, type LakeTableName } from '#lake/schema.ts';

/** Lake column types are already Hive/Glue type names; the map makes that a checked decision. */
const GLUE_TYPES: Record<ColumnType, string> = {
  string: 'string',
  int: 'int',
  bigint: 'bigint',
  double: 'double',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  'array<string>': 'array<string>',
};

/** First date partition projection will enumerate; no run can predate the project. */
export const PROJECTION_START_DATE = '2024-01-01';

const FORMATS = {
  parquet: {
    classification: 'parquet',
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
  },
  json: {
    classification: 'json',
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    // A malformed manifest should fail the query loudly rather than silently drop a run.
    serdeInfo: {
      serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
      parameters: { 'ignore.malformed.json': 'FALSE' },
    },
  },
} as const;

const toGlueColumn = (column: Column): glue.CfnTable.ColumnProperty => ({
  name: column.name,
  type: GLUE_TYPES[column.type],
  comment: column.comment,
});

export interface LakeCatalogProps {
  /** Glue database name (lower case, digits, underscores). */
  readonly databaseName: string;
  /** `s3://bucket/<prefix>/` for a table prefix. */
  readonly locationOf: (prefix: string) => string;
}

/**
 * The Glue database and one table per lake table, built from the lake contract in
 * shared/lake/schema.ts. Partition projection (campaign_id injected, run_date date) means no
 * crawler and no MSCK REPAIR; the injected key obliges every query to pin campaign_id.
 */
export class LakeCatalog extends Construct {
  public readonly database: glue.CfnDatabase;
  public readonly databaseName: string;
  public readonly tables: Record<LakeTableName, glue.CfnTable>;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.databaseName = props.databaseName;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: {
        name: props.databaseName,
        description:
          'linkgap lake: prospects, changes and runs per campaign and run date (DESIGN.md section 4)',
      },
    });

    const entries = Object.entries(LAKE_TABLES) as [LakeTableName, (typeof LAKE_TABLES)[LakeTableName]][];
    const tables: Partial<Record<LakeTableName, glue.CfnTable>> = {};
    for (const [name, table] of entries) {
      const format = FORMATS[table.format];
      const location = props.locationOf(table.prefix);
      const partitionKeys: readonly Column[] = table.partitionKeys;
      const partitionNames = new Set<string>(partitionKeys.map((key) => key.name));
      // campaign_id, then the table's date key: run_date, or event_date for review events.
      const dateKey = partitionKeys[1]?.name ?? 'run_date';
      const cfnTable = new glue.CfnTable(this, `${name[0]?.toUpperCase()}${name.slice(1)}Table`, {
        catalogId,
        databaseName: this.database.ref,
        tableInput: {
          name,
          description: `linkgap ${name} (${table.format}) under ${table.prefix}/`,
          tableType: 'EXTERNAL_TABLE',
          // Athena forbids a column that is also a partition key; the files still carry both.
          partitionKeys: partitionKeys.map(toGlueColumn),
          parameters: {
            EXTERNAL: 'TRUE',
            classification: format.classification,
            'projection.enabled': 'true',
            'projection.campaign_id.type': 'injected',
            [`projection.${dateKey}.type`]: 'date',
            [`projection.${dateKey}.format`]: 'yyyy-MM-dd',
            [`projection.${dateKey}.range`]: `${PROJECTION_START_DATE},NOW`,
            [`projection.${dateKey}.interval`]: '1',
            [`projection.${dateKey}.interval.unit`]: 'DAYS',
            // Athena fills ${campaign_id} and ${run_date}; escaped here so JS does not.
            'storage.location.template': `${location}campaign_id=\${campaign_id}/${dateKey}=\${${dateKey}}/`,
          },
          storageDescriptor: {
            location,
            columns: table.columns.filter((column) => !partitionNames.has(column.name)).map(toGlueColumn),
            inputFormat: format.inputFormat,
            outputFormat: format.outputFormat,
            serdeInfo: format.serdeInfo,
          },
        },
      });
      tables[name] = cfnTable;
    }
    this.tables = tables as Record<LakeTableName, glue.CfnTable>;
  }
}
