/**
 * What the Athena tests check against: the Glue tables as the stack synthesizes them (not a second
 * list of columns), and every SQL text that ships (cookbook queries, Athena named queries,
 * docs/cookbook.md, the README's examples).
 */
import { readFileSync } from 'node:fs';
import { athenaNamedQueries, LAKE_QUERIES } from '#lake/queries.ts';
import { removeSynthOutputs, synthLinkgap } from '../infra/synth.ts';

export interface GlueColumn {
  readonly name: string;
  readonly type: string;
}

export interface GlueTable {
  readonly name: string;
  readonly partitionKeys: readonly GlueColumn[];
  readonly columns: readonly GlueColumn[];
  readonly parameters: Readonly<Record<string, string>>;
  readonly inputFormat: string;
  readonly outputFormat: string;
  readonly serializationLibrary: string;
  readonly serdeParameters: Readonly<Record<string, string>>;
}

interface CfnColumn {
  Name: string;
  Type: string;
}

interface CfnGlueTable {
  Properties: {
    TableInput: {
      Name: string;
      PartitionKeys: CfnColumn[];
      Parameters: Record<string, unknown>;
      StorageDescriptor: {
        Columns: CfnColumn[];
        InputFormat: string;
        OutputFormat: string;
        SerdeInfo: { SerializationLibrary: string; Parameters?: Record<string, string> };
      };
    };
  };
}

/** Template parameter values can be CloudFormation intrinsics (Fn::Join for the bucket); keep them readable. */
function parameterText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The Glue tables of a freshly synthesized stack, by table name. */
export function synthesizedGlueTables(): Record<string, GlueTable> {
  try {
    const { template } = synthLinkgap();
    const resources = template.findResources('AWS::Glue::Table') as Record<string, CfnGlueTable>;
    const tables: Record<string, GlueTable> = {};
    for (const resource of Object.values(resources)) {
      const input = resource.Properties.TableInput;
      const storage = input.StorageDescriptor;
      tables[input.Name] = {
        name: input.Name,
        partitionKeys: input.PartitionKeys.map(({ Name, Type }) => ({ name: Name, type: Type })),
        columns: storage.Columns.map(({ Name, Type }) => ({ name: Name, type: Type })),
        parameters: Object.fromEntries(
          Object.entries(input.Parameters).map(([key, value]) => [key, parameterText(value)]),
        ),
        inputFormat: storage.InputFormat,
        outputFormat: storage.OutputFormat,
        serializationLibrary: storage.SerdeInfo.SerializationLibrary,
        serdeParameters: storage.SerdeInfo.Parameters ?? {},
      };
    }
    return tables;
  } finally {
    removeSynthOutputs();
  }
}

/** Every column a query can name in a Glue table: partition keys first, then the stored columns. */
export function queryableColumns(table: GlueTable): GlueColumn[] {
  return [...table.partitionKeys, ...table.columns];
}

export interface ShippedSql {
  /** Where the text ships, for failure messages: "cookbook gap-trend", "README example 1". */
  readonly name: string;
  readonly sql: string;
}

const repoFile = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** ```sql fenced blocks of a Markdown file. */
function sqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sql\n([\s\S]*?)\n```/g)].map((match) => match[1] as string);
}

/** SQL passed to `linkgap query "..."` in shell examples; "SELECT ..." placeholders are not SQL. */
function queryCommandSql(markdown: string): string[] {
  return [...markdown.matchAll(/linkgap query(?: --[a-z-]+(?: [^\s"-][^\s"]*)?)* "([^"]+)"/g)]
    .map((match) => match[1] as string)
    .filter((sql) => /^\s*(SELECT|WITH)\b/i.test(sql) && !sql.includes('...'));
}

/** Every SQL text linkgap ships, named by where it ships. */
export function shippedSql(): ShippedSql[] {
  const readme = repoFile('README.md');
  const cookbookDoc = repoFile('docs/cookbook.md');
  return [
    ...LAKE_QUERIES.map((query) => ({ name: `cookbook query ${query.id}`, sql: query.sql })),
    ...athenaNamedQueries().map((query) => ({ name: `Athena named query ${query.id}`, sql: query.sql })),
    ...sqlBlocks(cookbookDoc).map((sql, index) => ({ name: `docs/cookbook.md sql block ${index + 1}`, sql })),
    ...[...sqlBlocks(readme), ...queryCommandSql(readme)].map((sql, index) => ({
      name: `README.md example ${index + 1}`,
      sql,
    })),
  ];
}
