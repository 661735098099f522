/**
 * The saved queries that ship with the stack (Athena named queries) and that `linkgap query` can
 * run locally through DuckDB views of the same names. One SQL text serves both engines, so it
 * sticks to what Athena (Trino) and DuckDB share.
 *
 * Two rules every query follows:
 * - It pins `campaign_id` with a literal on EVERY lake table it reads. The Glue tables project
 *   campaign_id as `injected`, and Athena rejects (CONSTRAINT_VIOLATION) a query that does not
 *   give each such table a literal `=` or `IN (...)` condition on it.
 * - It joins `runs`: a manifest is written last and marks a run committed, so a run that crashed
 *   half-way (prospects written, manifest not) is never counted.
 */

/** The placeholder campaign id in every saved query; replace it with yours. */
export const EXAMPLE_CAMPAIGN_ID = 'acme-trail-shoes';

export interface SavedQuery {
  /** Stable key, e.g. for `linkgap query --saved gap-trend`. */
  readonly id: string;
  /** Title; the Athena name is `<prefix>: <title>`. */
  readonly title: string;
  readonly description: string;
  /** SQL with the literal EXAMPLE_CAMPAIGN_ID where the campaign id goes. */
  readonly sql: string;
}

const REPLACE_NOTE = `-- Replace ${EXAMPLE_CAMPAIGN_ID} with your campaign id. campaign_id is an injected partition:
-- Athena requires a literal campaign_id = '...' (or IN (...)) on every lake table in the query.`;

export const SAVED_QUERIES: readonly SavedQuery[] = [
  {
    id: 'gap-trend',
    title: 'gap trend',
    description: 'Gap size and new prospects per committed run of one campaign.',
    sql: `${REPLACE_NOTE}
SELECT
  r.run_date,
  count(p.source) AS gap_size,
  sum(CASE WHEN p.status = 'new' THEN 1 ELSE 0 END) AS new_prospects,
  sum(CASE WHEN p.status = 'reopened' THEN 1 ELSE 0 END) AS reopened_prospects
FROM runs r
JOIN prospects p ON p.run_id = r.run_id AND p.run_date = r.run_date
WHERE r.campaign_id = '${EXAMPLE_CAMPAIGN_ID}'
  AND p.campaign_id = '${EXAMPLE_CAMPAIGN_ID}'
  AND r.status = 'SUCCEEDED'
GROUP BY r.run_date
ORDER BY r.run_date`,
  },
  {
    id: 'monthly-closure-rate',
    title: 'monthly closure rate',
    description: 'Gaps closed per month (link_status evidence) over the previous gap size.',
    sql: `${REPLACE_NOTE}
WITH committed AS (
  SELECT run_id, run_date, previous_gap_size
  FROM runs
  WHERE campaign_id = '${EXAMPLE_CAMPAIGN_ID}' AND status = 'SUCCEEDED' AND baseline = false
),
closed AS (
  SELECT run_id, count(*) AS closed
  FROM changes
  WHERE campaign_id = '${EXAMPLE_CAMPAIGN_ID}' AND change = 'closed'
  GROUP BY run_id
)
SELECT
  substr(CAST(k.run_date AS VARCHAR), 1, 7) AS month,
  sum(coalesce(c.closed, 0)) AS closed,
  sum(k.previous_gap_size) AS previous_gap_size,
  round(CAST(sum(coalesce(c.closed, 0)) AS DOUBLE) / nullif(sum(k.previous_gap_size), 0), 4) AS closure_rate
FROM committed k
LEFT JOIN closed c ON c.run_id = k.run_id
GROUP BY substr(CAST(k.run_date AS VARCHAR), 1, 7)
ORDER BY month`,
  },
  {
    id: 'top-open-prospects',
    title: 'top open prospects',
    description: 'The 50 best-scored prospects of the latest committed run: where to ask for links next.',
    sql: `${REPLACE_NOTE}
WITH latest AS (
  SELECT run_id, run_date
  FROM runs
  WHERE campaign_id = '${EXAMPLE_CAMPAIGN_ID}' AND status = 'SUCCEEDED'
  ORDER BY run_date DESC, finished_at DESC
  LIMIT 1
)
SELECT
  p.source,
  p.source_root_domain,
  p.domain_authority,
  p.matched_count,
  p.score,
  p.status,
  p.first_seen_date,
  p.runs_seen
FROM prospects p
JOIN latest l ON p.run_id = l.run_id AND p.run_date = l.run_date
WHERE p.campaign_id = '${EXAMPLE_CAMPAIGN_ID}'
ORDER BY p.score DESC, p.domain_authority DESC, p.source
LIMIT 50`,
  },
  {
    id: 'time-to-close',
    title: 'time to close',
    description: 'How long closed gaps stayed open, per month of closing.',
    sql: `${REPLACE_NOTE}
SELECT
  substr(CAST(c.run_date AS VARCHAR), 1, 7) AS month,
  count(*) AS closed,
  round(avg(c.days_in_gap), 1) AS avg_days_in_gap,
  min(c.days_in_gap) AS min_days_in_gap,
  max(c.days_in_gap) AS max_days_in_gap
FROM changes c
JOIN runs r ON r.run_id = c.run_id AND r.run_date = c.run_date
WHERE c.campaign_id = '${EXAMPLE_CAMPAIGN_ID}'
  AND r.campaign_id = '${EXAMPLE_CAMPAIGN_ID}'
  AND r.status = 'SUCCEEDED'
  AND c.change = 'closed'
GROUP BY substr(CAST(c.run_date AS VARCHAR), 1, 7)
ORDER BY month`,
  },
];

/** A saved query's SQL for another campaign (the id is a lake key segment, so it needs no escaping beyond quotes). */
export function savedQuerySql(query: SavedQuery, campaignId: string): string {
  return query.sql.replaceAll(`'${EXAMPLE_CAMPAIGN_ID}'`, `'${campaignId.replaceAll("'", "''")}'`);
}
