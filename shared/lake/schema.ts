/**
 * The lake's tables: where each lives and in which format, over the column contract that the domain
 * defines (shared/domain/lake-contract.ts). Everything that reads or writes the lake imports it from here.
 */
import { CHANGE_COLUMNS, PROSPECT_COLUMNS, RUN_COLUMNS } from '#domain/lake-contract.ts';

export * from '#domain/lake-contract.ts';

export const LAKE_TABLES = {
  prospects: { prefix: 'prospects', format: 'parquet', columns: PROSPECT_COLUMNS },
  changes: { prefix: 'changes', format: 'parquet', columns: CHANGE_COLUMNS },
  runs: { prefix: 'runs', format: 'json', columns: RUN_COLUMNS },
} as const;
export type LakeTableName = keyof typeof LAKE_TABLES;
