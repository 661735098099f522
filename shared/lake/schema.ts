/**
 * The lake's tables: where each lives and in which format, over the column contract that the domain
 * defines (shared/domain/lake-contract.ts). Everything that reads or writes the lake imports it from here.
 */
import {
  CHANGE_COLUMNS,
  PARTITION_KEYS,
  PROSPECT_COLUMNS,
  REVIEW_EVENT_COLUMNS,
  REVIEW_PARTITION_KEYS,
  RUN_COLUMNS,
} from '#domain/lake-contract.ts';

export * from '#domain/lake-contract.ts';

export const LAKE_TABLES = {
  prospects: {
    prefix: 'prospects',
    format: 'parquet',
    columns: PROSPECT_COLUMNS,
    partitionKeys: PARTITION_KEYS,
  },
  changes: { prefix: 'changes', format: 'parquet', columns: CHANGE_COLUMNS, partitionKeys: PARTITION_KEYS },
  runs: { prefix: 'runs', format: 'json', columns: RUN_COLUMNS, partitionKeys: PARTITION_KEYS },
  /** Review events: JSON lines, append-only, partitioned by the day of the change (not by run). */
  reviews: {
    prefix: 'reviews',
    format: 'json',
    columns: REVIEW_EVENT_COLUMNS,
    partitionKeys: REVIEW_PARTITION_KEYS,
  },
} as const;
export type LakeTableName = keyof typeof LAKE_TABLES;
/** The tables a committed run writes (one file each per run); `reviews` is written by people too. */
export type RunTableName = Exclude<LakeTableName, 'reviews'>;
