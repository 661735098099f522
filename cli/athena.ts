/**
 * `linkgap query --aws --athena`: the same SQL in the stack's Athena workgroup. Submit, poll with
 * backoff until a final state, page through the results, and hand back plain rows. The workgroup
 * holds the result location (stack output AthenaResultsBucketName), so none is passed here.
 */
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  type GetQueryResultsCommandOutput,
  paginateGetQueryResults,
  type Row,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';

export class AthenaQueryError extends Error {
  override name = 'AthenaQueryError';
}

export interface AthenaQueryOptions {
  workgroup: string;
  database: string;
  /** @default 'AwsDataCatalog' */
  catalog?: string;
  /** Give up (and say so) after this long. @default 300_000 */
  timeoutMs?: number;
  /** First poll delay; it grows by half each poll up to maxPollMs. @default 250 */
  firstPollMs?: number;
  /** @default 3_000 */
  maxPollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface AthenaResult {
  queryExecutionId: string;
  columns: string[];
  rows: Record<string, unknown>[];
  /** Bytes scanned, from the execution statistics (what Athena bills). */
  dataScannedBytes: number | undefined;
}

const FINAL_STATES = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** One line, whatever Athena put in its reason. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

export async function runAthenaQuery(
  athena: AthenaClient,
  sql: string,
  options: AthenaQueryOptions,
): Promise<AthenaResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const started = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: options.workgroup,
      QueryExecutionContext: { Database: options.database, Catalog: options.catalog ?? 'AwsDataCatalog' },
    }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new AthenaQueryError('Athena returned no QueryExecutionId');

  const deadline = now() + (options.timeoutMs ?? 300_000);
  let delay = options.firstPollMs ?? 250;
  const maxDelay = options.maxPollMs ?? 3_000;
  for (;;) {
    const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = QueryExecution?.Status?.State ?? 'UNKNOWN';
    if (FINAL_STATES.has(state)) {
      if (state !== 'SUCCEEDED') {
        const reason =
          QueryExecution?.Status?.StateChangeReason ?? QueryExecution?.Status?.AthenaError?.ErrorMessage;
        throw new AthenaQueryError(`Athena query ${id} ${state}: ${oneLine(reason ?? 'no reason given')}`);
      }
      const pages: GetQueryResultsCommandOutput[] = [];
      for await (const page of paginateGetQueryResults({ client: athena }, { QueryExecutionId: id }))
        pages.push(page);
      return {
        queryExecutionId: id,
        ...rowsFromResultPages(pages),
        dataScannedBytes: QueryExecution?.Statistics?.DataScannedInBytes,
      };
    }
    if (now() + delay > deadline) {
      throw new AthenaQueryError(
        `Athena query ${id} still ${state} after ${Math.round((options.timeoutMs ?? 300_000) / 1000)} s; see it in the console`,
      );
    }
    await sleep(delay);
    delay = Math.min(Math.round(delay * 1.5), maxDelay);
  }
}

const NUMERIC_TYPES = new Set([
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'double',
  'float',
  'real',
  'decimal',
]);

function typedValue(text: string | undefined, info: ColumnInfo | undefined): unknown {
  if (text === undefined) return null;
  const type = info?.Type?.toLowerCase().replace(/\(.*$/, '');
  if (type !== undefined && NUMERIC_TYPES.has(type)) {
    const number = Number(text);
    if (!Number.isFinite(number)) return text; // NaN, Infinity: keep Athena's text
    if (/^-?\d+$/.test(text) && !Number.isSafeInteger(number)) return text; // beyond 2^53: keep every digit
    return number;
  }
  if (type === 'boolean') return text === 'true';
  return text;
}

const cellsOf = (row: Row | undefined) => (row?.Data ?? []).map((datum) => datum.VarCharValue);

/**
 * GetQueryResults pages → column names and rows. For a SELECT, the first row of the first page
 * repeats the column names: it becomes the headers and is not data. Values come back as text; the
 * result metadata's types turn numbers and booleans back into JS values, a missing value into null.
 */
export function rowsFromResultPages(pages: readonly Pick<GetQueryResultsCommandOutput, 'ResultSet'>[]): {
  columns: string[];
  rows: Record<string, unknown>[];
} {
  const info = pages[0]?.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
  const allRows = pages.flatMap((page) => page.ResultSet?.Rows ?? []);
  const firstCells = cellsOf(allRows[0]);
  const metadataNames = info.map((column, index) => column.Name ?? column.Label ?? `_col${index}`);
  const columns =
    metadataNames.length > 0 ? metadataNames : firstCells.map((cell, index) => cell ?? `_col${index}`);
  const headerRepeated =
    allRows.length > 0 &&
    (metadataNames.length === 0 ||
      (firstCells.length === columns.length && firstCells.every((cell, index) => cell === columns[index])));
  const dataRows = headerRepeated ? allRows.slice(1) : allRows;
  return {
    columns,
    rows: dataRows.map((row) => {
      const cells = cellsOf(row);
      return Object.fromEntries(columns.map((name, index) => [name, typedValue(cells[index], info[index])]));
    }),
  };
}
