/**
 * The lake contract (DESIGN.md section 4): one definition of every table's columns and row types,
 * read by the diff (which produces the rows), the Parquet writer, the Glue tables in infra/, the
 * DuckDB views and the tests. People's Athena queries depend on these names and types: add columns
 * at the end, never rename or retype. It lives in the domain because the diff's output is these rows;
 * shared/lake/schema.ts adds the tables' formats and prefixes.
 */

export type ColumnType =
  | 'string'
  | 'int'
  | 'bigint'
  | 'double'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'array<string>';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable?: boolean;
  readonly comment: string;
}

/** Partition keys: hive path segments, injected (campaign_id) and date (run_date) projections in Athena. */
export const PARTITION_KEYS = [
  { name: 'campaign_id', type: 'string', comment: 'Campaign id (partition, projection type injected)' },
  {
    name: 'run_date',
    type: 'string',
    comment: 'Scheduled run date yyyy-MM-dd (partition, projection type date)',
  },
] as const satisfies readonly Column[];

export const PROSPECT_COLUMNS = [
  { name: 'campaign_id', type: 'string', comment: 'Campaign id' },
  { name: 'run_id', type: 'string', comment: 'Run id; join to runs.run_id' },
  { name: 'run_date', type: 'string', comment: 'Scheduled run date yyyy-MM-dd' },
  {
    name: 'source',
    type: 'string',
    comment: 'Linking source as Moz returns it (page URL or root domain, no scheme)',
  },
  { name: 'source_root_domain', type: 'string', comment: 'Registrable domain of the source' },
  { name: 'title', type: 'string', comment: 'Source page title (blank at root_domain source scope)' },
  { name: 'domain_authority', type: 'int', comment: 'Moz Domain Authority 1-100' },
  {
    name: 'page_authority',
    type: 'int',
    nullable: true,
    comment: 'Best Page Authority among matching pages',
  },
  { name: 'spam_score', type: 'int', nullable: true, comment: 'Moz Spam Score; null when Moz has none (-1)' },
  { name: 'matched_targets', type: 'array<string>', comment: 'Competitor targets this source links to' },
  { name: 'matched_count', type: 'int', comment: 'Number of competitor targets matched' },
  { name: 'score', type: 'double', comment: 'Prospect score 0-100 (see README: prospect score)' },
  { name: 'status', type: 'string', comment: 'new | persisting | reopened' },
  { name: 'first_seen_date', type: 'date', comment: 'First run date this source was in the gap' },
  {
    name: 'runs_seen',
    type: 'int',
    comment: 'Number of committed runs (this baseline) that listed this source',
  },
  {
    name: 'review_state',
    type: 'string',
    nullable: true,
    comment:
      'Outreach review state when the run started: to_review | approved | contacted | won (rejected and do_not_contact sources are left out); null in files written before reviews existed',
  },
  {
    name: 'category',
    type: 'string',
    nullable: true,
    comment: 'Review category: resource_page | editorial | directory | partnership | other; null when unset',
  },
] as const satisfies readonly Column[];

export const CHANGE_COLUMNS = [
  { name: 'campaign_id', type: 'string', comment: 'Campaign id' },
  { name: 'run_id', type: 'string', comment: 'Run id; join to runs.run_id' },
  { name: 'run_date', type: 'string', comment: 'Scheduled run date yyyy-MM-dd' },
  { name: 'source', type: 'string', comment: 'Linking source' },
  { name: 'change', type: 'string', comment: 'new | closed | lost | reopened | unverified' },
  { name: 'previous_domain_authority', type: 'int', nullable: true, comment: 'DA in the previous run' },
  { name: 'current_domain_authority', type: 'int', nullable: true, comment: 'DA in this run' },
  {
    name: 'previous_matched_count',
    type: 'int',
    nullable: true,
    comment: 'Matched competitors in the previous run',
  },
  { name: 'current_matched_count', type: 'int', nullable: true, comment: 'Matched competitors in this run' },
  {
    name: 'days_in_gap',
    type: 'int',
    nullable: true,
    comment: 'closed: days from first_seen_date to this run',
  },
  {
    name: 'review_state',
    type: 'string',
    nullable: true,
    comment:
      'Outreach review state when the run started (to_review when nobody reviewed it); a lost change with won is an earned link that went away; null in files written before reviews existed',
  },
] as const satisfies readonly Column[];

/** The review events' partition keys: the campaign and the UTC day of the change (not a run date). */
export const REVIEW_PARTITION_KEYS = [
  PARTITION_KEYS[0],
  {
    name: 'event_date',
    type: 'string',
    comment: 'UTC day of the change yyyy-MM-dd (partition, projection type date)',
  },
] as const satisfies readonly Column[];

/**
 * One change of one review (shared/domain/review.ts), appended to the lake as JSON lines, never
 * rewritten. `changed_at` / `changed_by` rather than `at` / `by`: BY and AT are SQL keywords, and every
 * query would have to quote them.
 */
export const REVIEW_EVENT_COLUMNS = [
  { name: 'campaign_id', type: 'string', comment: 'Campaign id' },
  { name: 'event_date', type: 'string', comment: 'UTC day of the change yyyy-MM-dd' },
  {
    name: 'event_id',
    type: 'string',
    comment: 'Unique id of the event (the same id is never written twice)',
  },
  { name: 'source', type: 'string', comment: 'Linking source the review is about' },
  { name: 'changed_at', type: 'timestamp', comment: 'When the review changed (UTC)' },
  {
    name: 'changed_by',
    type: 'string',
    comment: 'Who changed it: a person, or linkgap-run for the pipeline',
  },
  {
    name: 'origin',
    type: 'string',
    comment: 'cli (review set) | import (review import) | run (the pipeline)',
  },
  { name: 'from_state', type: 'string', comment: 'Review state before the change' },
  { name: 'to_state', type: 'string', comment: 'Review state after the change' },
  { name: 'from_category', type: 'string', nullable: true, comment: 'Category before the change' },
  { name: 'to_category', type: 'string', nullable: true, comment: 'Category after the change' },
  { name: 'note', type: 'string', comment: 'The note after the change' },
  {
    name: 'outcome',
    type: 'string',
    comment:
      'applied | skipped (a run did not promote to won because a person changed the review during the run; the next run re-evaluates)',
  },
  { name: 'run_id', type: 'string', nullable: true, comment: 'The run that made the change (origin run)' },
  { name: 'version', type: 'int', comment: 'Review version after the change (1 for the first change)' },
] as const satisfies readonly Column[];

/** The run manifest is one JSON object on one line (the Athena JSON SerDe reads a record per line). */
export const RUN_COLUMNS = [
  { name: 'run_id', type: 'string', comment: 'Run id' },
  { name: 'campaign_id', type: 'string', comment: 'Campaign id' },
  { name: 'run_date', type: 'string', comment: 'Scheduled run date yyyy-MM-dd' },
  { name: 'config_hash', type: 'string', comment: 'Hash of targets, scopes, threshold, source scope, sort' },
  { name: 'previous_run_id', type: 'string', nullable: true, comment: 'Run this one was diffed against' },
  { name: 'baseline', type: 'boolean', comment: 'True when no comparable previous run existed' },
  { name: 'status', type: 'string', comment: 'SUCCEEDED (a manifest is only written for committed runs)' },
  {
    name: 'truncated',
    type: 'boolean',
    comment: 'True when maxRowsPerRun stopped the run early (gap list or verification)',
  },
  { name: 'pages', type: 'int', comment: 'Link Intersect pages fetched' },
  { name: 'requests', type: 'int', comment: 'HTTP requests sent to Moz, retries included' },
  { name: 'retries', type: 'int', comment: 'Requests that were retries' },
  { name: 'rows_consumed', type: 'bigint', comment: 'Weighted Moz rows spent in total' },
  {
    name: 'rows_consumed_intersect',
    type: 'bigint',
    comment: 'Weighted rows spent on Link Intersect (5 per row)',
  },
  {
    name: 'rows_consumed_link_status',
    type: 'bigint',
    comment: 'Weighted rows spent on Link Status (2 per source)',
  },
  {
    name: 'rows_possibly_metered_on_failures',
    type: 'bigint',
    comment: 'Upper bound of rows the API may have metered for failed responses',
  },
  { name: 'max_rows_per_run', type: 'bigint', comment: 'The budget in force' },
  { name: 'gap_size', type: 'int', comment: 'Prospects in this run' },
  { name: 'new_count', type: 'int', comment: 'Prospects never seen before' },
  { name: 'persisting_count', type: 'int', comment: 'Prospects also in the previous run' },
  { name: 'reopened_count', type: 'int', comment: 'Prospects that were closed before and are back' },
  {
    name: 'closed_count',
    type: 'int',
    comment: 'Departed and now linking to the site (link_status evidence)',
  },
  { name: 'lost_count', type: 'int', comment: 'Departed and not linking to the site' },
  { name: 'unverified_count', type: 'int', comment: 'Departed without evidence either way' },
  { name: 'previous_gap_size', type: 'int', nullable: true, comment: 'Prospects in the previous run' },
  {
    name: 'closure_rate',
    type: 'double',
    nullable: true,
    comment: 'closed / previous_gap_size; null for a baseline',
  },
  { name: 'started_at', type: 'timestamp', comment: 'When the run first started (UTC)' },
  { name: 'finished_at', type: 'timestamp', comment: 'When the run committed (UTC)' },
  { name: 'moz_base_url', type: 'string', comment: 'Moz API base URL used' },
  { name: 'software_version', type: 'string', comment: 'linkgap version that wrote the run' },
] as const satisfies readonly Column[];

type ColumnValue<T extends ColumnType> = T extends 'string'
  ? string
  : T extends 'int' | 'bigint' | 'double'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'date'
        ? string // yyyy-MM-dd
        : T extends 'timestamp'
          ? string // ISO-8601 UTC
          : T extends 'array<string>'
            ? string[]
            : never;

/** The row type of a column list: `RowOf<typeof PROSPECT_COLUMNS>`. */
export type RowOf<C extends readonly Column[]> = {
  [K in C[number] as K['name']]: K extends { nullable: true }
    ? ColumnValue<K['type']> | null
    : ColumnValue<K['type']>;
};

export type ProspectRow = RowOf<typeof PROSPECT_COLUMNS>;
export type ChangeRow = RowOf<typeof CHANGE_COLUMNS>;
export type RunManifest = RowOf<typeof RUN_COLUMNS>;
export type ReviewEventRow = RowOf<typeof REVIEW_EVENT_COLUMNS>;

export type ProspectStatus = 'new' | 'persisting' | 'reopened';
export type ChangeKind = 'new' | 'closed' | 'lost' | 'reopened' | 'unverified';
