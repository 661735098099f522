import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { athenaTableDefinition } from '#lake/athena-ddl.ts';
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

const toGlueColumn = (column: Column): glue.CfnTable.ColumnProperty => ({
  name: column.name,
  type: GLUE_TYPES[column.type],
  comment: column.comment,
});

export interface LakeCatalogProps {
  /** Glue database name (lower case, digits, underscores). */
  readonly databaseName: string;
  /** The lake bucket's name (a token is fine). */
  readonly bucketName: string;
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

    const tables: Partial<Record<LakeTableName, glue.CfnTable>> = {};
    for (const name of Object.keys(LAKE_TABLES) as LakeTableName[]) {
      const table = athenaTableDefinition(name, props.bucketName);
      tables[name] = new glue.CfnTable(this, `${name[0]?.toUpperCase()}${name.slice(1)}Table`, {
        catalogId,
        databaseName: this.database.ref,
        tableInput: {
          name,
          description: `linkgap ${name} (${LAKE_TABLES[name].format}) under ${LAKE_TABLES[name].prefix}/`,
          tableType: 'EXTERNAL_TABLE',
          // Athena forbids a column that is also a partition key; the files still carry both.
          partitionKeys: table.partitionKeys.map(toGlueColumn),
          parameters: table.properties,
          storageDescriptor: {
            location: table.location,
            columns: table.columns.map(toGlueColumn),
            inputFormat: table.format.inputFormat,
            outputFormat: table.format.outputFormat,
            serdeInfo: {
              serializationLibrary: table.format.serde,
              ...(Object.keys(table.format.serdeProperties).length > 0
                ? { parameters: table.format.serdeProperties }
                : {}),
            },
          },
        },
      });
    }
    this.tables = tables as Record<LakeTableName, glue.CfnTable>;
  }
}
