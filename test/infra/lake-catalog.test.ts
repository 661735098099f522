import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { athenaNamedQueries, LAKE_QUERY_CAMPAIGN_ID, withCampaign } from '#lake/queries.ts';
import { LAKE_TABLES } from '#lake/schema.ts';
import { logicalId, removeSynthOutputs, synthLinkgap } from './synth.ts';

afterAll(removeSynthOutputs);

const { template } = synthLinkgap();
const lakeBucket = { Ref: logicalId(template, 'AWS::S3::Bucket', 'LakeBucket') };
const tableNames = Object.keys(LAKE_TABLES) as (keyof typeof LAKE_TABLES)[];
const SAVED_QUERIES = athenaNamedQueries();

/** What the contract says a Glue table must hold: computed here from shared/lake/schema.ts. */
/** The date partition: review events are partitioned by the day of the change, the rest by run date. */
const dateKeyOf = (name: keyof typeof LAKE_TABLES) => (name === 'reviews' ? 'event_date' : 'run_date');

function expectedTable(name: keyof typeof LAKE_TABLES) {
  const table = LAKE_TABLES[name];
  const partitionKeys: readonly { name: string; comment: string }[] = table.partitionKeys;
  const partitionNames: string[] = partitionKeys.map((key) => key.name);
  const dateKey = dateKeyOf(name);
  const location = { 'Fn::Join': ['', ['s3://', lakeBucket, `/${table.prefix}/`]] };
  return {
    columns: table.columns
      .filter((column) => !partitionNames.includes(column.name))
      .map((column) => ({ Name: column.name, Type: column.type, Comment: column.comment })),
    partitionKeys: partitionKeys.map((key) => ({ Name: key.name, Type: 'string', Comment: key.comment })),
    location,
    template: {
      'Fn::Join': [
        '',
        ['s3://', lakeBucket, `/${table.prefix}/campaign_id=\${campaign_id}/${dateKey}=\${${dateKey}}/`],
      ],
    },
  };
}

function glueTable(name: string) {
  const found = Object.values(template.findResources('AWS::Glue::Table')).filter(
    (resource) => resource.Properties.TableInput.Name === name,
  );
  expect(found).toHaveLength(1);
  return found[0]?.Properties.TableInput;
}

describe('Glue tables follow the lake contract', () => {
  it('has one database and a table per lake table', () => {
    template.resourceCountIs('AWS::Glue::Database', 1);
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: 'linkgap' }),
    });
    template.resourceCountIs('AWS::Glue::Table', tableNames.length);
  });

  it.each(tableNames)('%s: columns, partition keys and location equal the contract', (name) => {
    const expected = expectedTable(name);
    const input = glueTable(name);
    expect(input.StorageDescriptor.Columns).toEqual(expected.columns);
    expect(input.PartitionKeys).toEqual(expected.partitionKeys);
    expect(input.StorageDescriptor.Location).toEqual(expected.location);
    // Athena rejects a table whose column is also a partition key.
    const columnNames = input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name);
    for (const key of LAKE_TABLES[name].partitionKeys) expect(columnNames).not.toContain(key.name);
  });

  it.each(tableNames)('%s: partition projection needs no crawler', (name) => {
    const input = glueTable(name);
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect(input.Parameters).toEqual({
      EXTERNAL: 'TRUE',
      classification: LAKE_TABLES[name].format,
      'projection.enabled': 'true',
      'projection.campaign_id.type': 'injected',
      [`projection.${dateKeyOf(name)}.type`]: 'date',
      [`projection.${dateKeyOf(name)}.format`]: 'yyyy-MM-dd',
      [`projection.${dateKeyOf(name)}.range`]: '2024-01-01,NOW',
      [`projection.${dateKeyOf(name)}.interval`]: '1',
      [`projection.${dateKeyOf(name)}.interval.unit`]: 'DAYS',
      'storage.location.template': expectedTable(name).template,
    });
  });

  it.each(tableNames)('%s: reads its format with the matching SerDe', (name) => {
    const sd = glueTable(name).StorageDescriptor;
    if (LAKE_TABLES[name].format === 'parquet') {
      expect(sd).toMatchObject({
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      });
    } else {
      expect(sd).toMatchObject({
        InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
      });
    }
  });
});

describe('Athena', () => {
  it('enforces the workgroup: encrypted results in the results bucket, a scan limit, metrics', () => {
    const resultsBucket = { Ref: logicalId(template, 'AWS::S3::Bucket', 'LakeAthenaResults') };
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'linkgap',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 1024 ** 3,
        EngineVersion: { SelectedEngineVersion: 'AUTO' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', resultsBucket, '/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
  });

  it('saves every query in the workgroup and database', () => {
    const workGroup = { Ref: logicalId(template, 'AWS::Athena::WorkGroup', 'QueriesWorkGroup') };
    template.resourceCountIs('AWS::Athena::NamedQuery', SAVED_QUERIES.length);
    for (const query of SAVED_QUERIES) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: `linkgap: ${query.title}`,
        Database: 'linkgap',
        WorkGroup: workGroup,
        QueryString: query.sql,
      });
    }
    expect(SAVED_QUERIES.map((q) => q.title)).toEqual([
      'gap trend',
      'monthly closure rate',
      'top open prospects',
      'time to close',
      'review queue',
      'links won by category',
      'prospects linking to two or more competitors',
    ]);
  });

  it.each(SAVED_QUERIES.map((q) => [q.title, q] as const))(
    '%s pins campaign_id on every lake table it reads, and joins runs when it reads a run table',
    (_title, query) => {
      const sql = query.sql.replace(/--.*$/gm, '');
      // Review events belong to no run: a query over them alone has no commit marker to join.
      if (/\b(?:FROM|JOIN) (?:prospects|changes)\b/.test(sql) || !/\bFROM reviews\b/.test(sql))
        expect(sql).toMatch(/\bFROM runs\b|\bJOIN runs\b/);
      for (const table of tableNames) {
        const aliases = [...sql.matchAll(new RegExp(`\\b(?:FROM|JOIN) ${table}(?: (\\w+))?`, 'g'))].map(
          (m) => m[1] ?? null,
        );
        for (const alias of aliases) {
          const column =
            alias && !['WHERE', 'JOIN', 'ON', 'GROUP', 'LEFT'].includes(alias)
              ? `${alias}.campaign_id`
              : 'campaign_id';
          expect(sql).toContain(`${column} = '${LAKE_QUERY_CAMPAIGN_ID}'`);
        }
      }
      expect(query.sql).toMatch(new RegExp(`^-- Replace ${LAKE_QUERY_CAMPAIGN_ID} with your campaign id`));
      expect(withCampaign(query.sql, 'my-campaign')).not.toContain(`'${LAKE_QUERY_CAMPAIGN_ID}'`);
    },
  );
});
