/**
 * The query library: questions people ask of a campaign's history, answered in SQL that runs
 * unchanged in Athena (Trino) and in DuckDB. It is the one source for `linkgap query --cookbook`,
 * docs/cookbook.md, the stack's Athena named queries and the scan bench; a test runs every query
 * against a simulated lake and checks the answers against the simulator's ground truth.
 *
 * Rules every query follows:
 * - Every lake table it reads pins `campaign_id` with a literal (`= '...'`). Athena projects
 *   campaign_id as an `injected` partition and refuses (CONSTRAINT_VIOLATION) a query without one.
 * - It reads prospects and changes only through a join with `runs`: the manifest is written last,
 *   so a run that crashed half-way (files written, no manifest) never counts. `reviews` (the review
 *   events) is read directly: each event is one file, written once, belonging to no run.
 * - Only syntax both engines share: explicit GROUP BY (no GROUP BY ALL), CASE instead of FILTER,
 *   CAST(run_date AS DATE) (run_date is a string partition key in both), date_diff('day', a, b),
 *   year(), quarter(), substr(), concat(), nullif(), round().
 */

/** The campaign id written into every query; {@link withCampaign} swaps in another. */
export const LAKE_QUERY_CAMPAIGN_ID = 'acme-trail-shoes';

export interface LakeQuery {
  /** For `linkgap query --cookbook <id>`. */
  readonly id: string;
  /** Short name; an Athena named query is called `<prefix>: <title>`. */
  readonly title: string;
  /** Whether the stack saves it as an Athena named query in its workgroup. */
  readonly savedInAthena: boolean;
  /** The question it answers. */
  readonly question: string;
  /** How to read the answer. */
  readonly explanation: string;
  /** SQL with the literal {@link LAKE_QUERY_CAMPAIGN_ID} wherever the campaign id goes. */
  readonly sql: string;
}

/** What the stack saves in Athena: the SQL prefixed with a note to replace the campaign id. */
export interface AthenaNamedQuery {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly sql: string;
}

const CAMPAIGN = `'${LAKE_QUERY_CAMPAIGN_ID}'`;

export const LAKE_QUERIES: readonly LakeQuery[] = [
  {
    id: 'gap-trend',
    title: 'gap trend',
    savedInAthena: true,
    question: 'How big is the gap each month, and how much of it is new?',
    explanation:
      'One row per committed run: prospects in the gap list, how many appeared for the first time, and how many came back after closing. A shrinking gap_size with few new_prospects means outreach is outpacing your competitors.',
    sql: `SELECT r.run_date,
       count(p.source) AS gap_size,
       sum(CASE WHEN p.status = 'new' THEN 1 ELSE 0 END) AS new_prospects,
       sum(CASE WHEN p.status = 'reopened' THEN 1 ELSE 0 END) AS reopened_prospects,
       round(avg(p.domain_authority), 1) AS avg_domain_authority
FROM runs r
JOIN prospects p ON p.run_id = r.run_id AND p.run_date = r.run_date
WHERE r.campaign_id = ${CAMPAIGN}
  AND p.campaign_id = ${CAMPAIGN}
GROUP BY r.run_date, r.run_id
ORDER BY r.run_date`,
  },
  {
    id: 'monthly-closure-rate',
    title: 'monthly closure rate',
    savedInAthena: true,
    question: 'What share of the gap do we close each month?',
    explanation:
      'Per month, gaps closed (the source now links to you, confirmed by Moz link_status: the closed rows of the changes files) over the gap the runs started from. Baseline runs have nothing to compare with and are left out. closure-rate-by-quarter gives the same ratio per quarter from the run manifests.',
    sql: `WITH closed AS (
  SELECT c.run_id, c.run_date, count(*) AS closed
  FROM changes c
  WHERE c.campaign_id = ${CAMPAIGN}
    AND c.change = 'closed'
  GROUP BY c.run_id, c.run_date
)
SELECT substr(r.run_date, 1, 7) AS month,
       sum(coalesce(k.closed, 0)) AS closed,
       sum(r.previous_gap_size) AS previous_gap_size,
       round(CAST(sum(coalesce(k.closed, 0)) AS DOUBLE) / nullif(sum(r.previous_gap_size), 0), 4) AS closure_rate
FROM runs r
LEFT JOIN closed k ON k.run_id = r.run_id AND k.run_date = r.run_date
WHERE r.campaign_id = ${CAMPAIGN}
  AND r.baseline = false
GROUP BY substr(r.run_date, 1, 7)
ORDER BY month`,
  },
  {
    id: 'closure-rate-by-quarter',
    title: 'closure rate by quarter',
    savedInAthena: false,
    question: 'What is our closure rate per quarter?',
    explanation:
      'Gaps closed (the source now links to you, confirmed by Moz link_status) over the gap they were closed from, summed per quarter. Baseline runs have nothing to compare with and are left out. lost counts sources that left the gap without linking to you.',
    sql: `SELECT concat(CAST(year(CAST(r.run_date AS DATE)) AS VARCHAR), '-Q',
              CAST(quarter(CAST(r.run_date AS DATE)) AS VARCHAR)) AS quarter,
       count(*) AS runs,
       sum(r.closed_count) AS closed,
       sum(r.lost_count) AS lost,
       sum(r.previous_gap_size) AS gap_at_start_of_runs,
       round(CAST(sum(r.closed_count) AS DOUBLE) / nullif(sum(r.previous_gap_size), 0), 4) AS closure_rate
FROM runs r
WHERE r.campaign_id = ${CAMPAIGN}
  AND r.baseline = false
GROUP BY 1
ORDER BY 1`,
  },
  {
    id: 'open-six-months',
    title: 'open six months or more',
    savedInAthena: false,
    question: 'Which prospects have stayed open for six months or more?',
    explanation:
      'Prospects of the latest run that at least six committed runs have listed (runs_seen counts the runs of the current baseline that listed the source; with monthly runs, six months), with the days since they were first seen. These are the stubborn gaps: link to your competitors for half a year, never to you.',
    sql: `WITH latest AS (
  SELECT max(run_date) AS run_date
  FROM runs
  WHERE campaign_id = ${CAMPAIGN}
)
SELECT p.source,
       p.domain_authority,
       p.matched_count,
       p.score,
       p.first_seen_date,
       p.runs_seen,
       date_diff('day', p.first_seen_date, CAST(p.run_date AS DATE)) AS days_open
FROM prospects p
JOIN runs r ON r.run_id = p.run_id AND r.run_date = p.run_date
JOIN latest l ON l.run_date = r.run_date
WHERE p.campaign_id = ${CAMPAIGN}
  AND r.campaign_id = ${CAMPAIGN}
  AND p.runs_seen >= 6
ORDER BY p.runs_seen DESC, p.score DESC, p.source`,
  },
  {
    id: 'top-open-prospects',
    title: 'top open prospects',
    savedInAthena: true,
    question: 'Where should outreach go next?',
    explanation:
      'The 25 best-scored prospects of the latest committed run. The score (0-100) weighs Domain Authority 60%, the share of competitors the source links to 30%, and a low Spam Score 10%.',
    sql: `WITH latest AS (
  SELECT max(run_date) AS run_date
  FROM runs
  WHERE campaign_id = ${CAMPAIGN}
)
SELECT p.source,
       p.title,
       p.domain_authority,
       p.spam_score,
       p.matched_count,
       p.score,
       p.status,
       p.first_seen_date
FROM prospects p
JOIN runs r ON r.run_id = p.run_id AND r.run_date = p.run_date
JOIN latest l ON l.run_date = r.run_date
WHERE p.campaign_id = ${CAMPAIGN}
  AND r.campaign_id = ${CAMPAIGN}
ORDER BY p.score DESC, p.domain_authority DESC, p.source
LIMIT 25`,
  },
  {
    id: 'time-to-close',
    title: 'time to close',
    savedInAthena: true,
    question: 'How long does a gap stay open before we close it?',
    explanation:
      'Closed gaps bucketed by days_in_gap (days from first_seen_date to the run that saw them close). With monthly runs the resolution is about a month.',
    sql: `SELECT CASE
         WHEN c.days_in_gap <= 45 THEN '1: up to 1 month'
         WHEN c.days_in_gap <= 100 THEN '2: 2-3 months'
         WHEN c.days_in_gap <= 190 THEN '3: 4-6 months'
         ELSE '4: over 6 months'
       END AS open_for,
       count(*) AS closed,
       min(c.days_in_gap) AS min_days,
       max(c.days_in_gap) AS max_days,
       round(avg(c.days_in_gap), 1) AS avg_days
FROM changes c
JOIN runs r ON r.run_id = c.run_id AND r.run_date = c.run_date
WHERE c.campaign_id = ${CAMPAIGN}
  AND r.campaign_id = ${CAMPAIGN}
  AND c.change = 'closed'
GROUP BY 1
ORDER BY 1`,
  },
  {
    id: 'closed-vs-lost',
    title: 'closed vs lost',
    savedInAthena: false,
    question: 'Each month, how many gaps did we close and how many simply went away?',
    explanation:
      'Every change of every committed run, counted per run: closed (now links to you), lost (left the gap without linking to you: the source dropped your competitors), unverified (left the gap but the budget or an error kept Moz link_status from checking), new and reopened.',
    sql: `SELECT r.run_date,
       sum(CASE WHEN c.change = 'closed' THEN 1 ELSE 0 END) AS closed,
       sum(CASE WHEN c.change = 'lost' THEN 1 ELSE 0 END) AS lost,
       sum(CASE WHEN c.change = 'unverified' THEN 1 ELSE 0 END) AS unverified,
       sum(CASE WHEN c.change = 'new' THEN 1 ELSE 0 END) AS new,
       sum(CASE WHEN c.change = 'reopened' THEN 1 ELSE 0 END) AS reopened
FROM runs r
JOIN changes c ON c.run_id = r.run_id AND c.run_date = r.run_date
WHERE r.campaign_id = ${CAMPAIGN}
  AND c.campaign_id = ${CAMPAIGN}
GROUP BY r.run_date, r.run_id
ORDER BY r.run_date`,
  },
  {
    id: 'review-queue',
    title: 'review queue',
    savedInAthena: true,
    question: 'Which prospects are waiting for a decision or for outreach?',
    explanation:
      'The outreach review queue: the prospects of the latest committed run whose review is still open (to_review, approved or contacted), with the state, category and note as they stand now: the last applied review event of each source wins over the state the run read at its start, so a source rejected since the run is already gone. Unreviewed prospects come first, then approved, then contacted, each by score. `linkgap review export` writes the same queue as a CSV to edit.',
    sql: `WITH latest AS (
  SELECT max(run_date) AS run_date
  FROM runs
  WHERE campaign_id = ${CAMPAIGN}
),
last_change AS (
  SELECT source, max(version) AS version
  FROM reviews
  WHERE campaign_id = ${CAMPAIGN}
    AND outcome = 'applied'
  GROUP BY source
),
review AS (
  SELECT e.source, e.to_state, e.to_category, e.note
  FROM reviews e
  JOIN last_change c ON c.source = e.source AND c.version = e.version
  WHERE e.campaign_id = ${CAMPAIGN}
    AND e.outcome = 'applied'
),
queue AS (
  SELECT p.source,
         coalesce(v.to_state, p.review_state) AS state,
         CASE WHEN v.source IS NULL THEN p.category ELSE v.to_category END AS category,
         coalesce(v.note, '') AS note,
         p.score,
         p.domain_authority,
         p.matched_count,
         p.status,
         p.first_seen_date
  FROM prospects p
  JOIN runs r ON r.run_id = p.run_id AND r.run_date = p.run_date
  JOIN latest l ON l.run_date = r.run_date
  LEFT JOIN review v ON v.source = p.source
  WHERE p.campaign_id = ${CAMPAIGN}
    AND r.campaign_id = ${CAMPAIGN}
)
SELECT source, state, category, score, domain_authority, matched_count, status, first_seen_date, note
FROM queue
WHERE state IN ('to_review', 'approved', 'contacted')
ORDER BY CASE state WHEN 'to_review' THEN 1 WHEN 'approved' THEN 2 ELSE 3 END, score DESC, source`,
  },
  {
    id: 'won-by-category',
    title: 'links won by category',
    savedInAthena: true,
    question: 'How many links did we win each quarter, by category?',
    explanation:
      "Sources whose review moved to won, per quarter of the change and per category (the category the review had when it was won; uncategorised when unset). A run marks a review won when Moz link_status proves the gap closed after someone approved or contacted the source; a person can also set won by hand. A source won twice in a quarter counts once. For this quarter only, add a condition such as `AND e.event_date >= '2026-04-01'` (event_date is the day of the change, yyyy-MM-dd).",
    sql: `SELECT concat(CAST(year(CAST(e.event_date AS DATE)) AS VARCHAR), '-Q',
              CAST(quarter(CAST(e.event_date AS DATE)) AS VARCHAR)) AS quarter,
       coalesce(e.to_category, 'uncategorised') AS category,
       count(DISTINCT e.source) AS links_won
FROM reviews e
WHERE e.campaign_id = ${CAMPAIGN}
  AND e.outcome = 'applied'
  AND e.to_state = 'won'
  AND e.from_state <> 'won'
GROUP BY 1, 2
ORDER BY 1, 2`,
  },
  {
    id: 'multi-competitor-prospects',
    title: 'prospects linking to two or more competitors',
    savedInAthena: true,
    question: 'Which prospects link to two or more of our competitors?',
    explanation:
      'The prospects of the latest committed run that link to at least two competitors, most competitors first, then by score, with the review state and category the run read. A page that links to several of your competitors is usually a resource page, a roundup or a comparison: the prospects most likely to add you too. With sourceScope page the sources are those pages themselves.',
    sql: `WITH latest AS (
  SELECT max(run_date) AS run_date
  FROM runs
  WHERE campaign_id = ${CAMPAIGN}
)
SELECT p.source,
       p.title,
       p.matched_count,
       p.matched_targets,
       p.domain_authority,
       p.score,
       p.review_state,
       p.category
FROM prospects p
JOIN runs r ON r.run_id = p.run_id AND r.run_date = p.run_date
JOIN latest l ON l.run_date = r.run_date
WHERE p.campaign_id = ${CAMPAIGN}
  AND r.campaign_id = ${CAMPAIGN}
  AND p.matched_count >= 2
ORDER BY p.matched_count DESC, p.score DESC, p.source`,
  },
  {
    id: 'moz-rows-by-month',
    title: 'Moz rows by month',
    savedInAthena: false,
    question: 'How many Moz rows do we spend per month?',
    explanation:
      'Weighted Moz rows (5 per Link Intersect row, 2 per Link Status source) per month, split by endpoint, with runs the budget cut short (truncated). Compare with your plan\u2019s monthly row quota.',
    sql: `SELECT substr(r.run_date, 1, 7) AS month,
       count(*) AS runs,
       sum(r.rows_consumed) AS rows_consumed,
       sum(r.rows_consumed_intersect) AS rows_intersect,
       sum(r.rows_consumed_link_status) AS rows_link_status,
       sum(CASE WHEN r.truncated THEN 1 ELSE 0 END) AS truncated_runs
FROM runs r
WHERE r.campaign_id = ${CAMPAIGN}
GROUP BY substr(r.run_date, 1, 7)
ORDER BY month`,
  },
];

export function findLakeQuery(id: string): LakeQuery | undefined {
  return LAKE_QUERIES.find((query) => query.id === id);
}

/** SQL from this library for another campaign (ids are lake key segments; quotes are escaped anyway). */
export function withCampaign(sql: string, campaignId: string): string {
  return sql.replaceAll(CAMPAIGN, `'${campaignId.replaceAll("'", "''")}'`);
}

const REPLACE_NOTE = `-- Replace ${LAKE_QUERY_CAMPAIGN_ID} with your campaign id. campaign_id is an injected partition:
-- Athena requires a literal campaign_id = '...' (or IN (...)) on every lake table in the query.`;

/** The Athena named queries the stack creates: the queries flagged savedInAthena, in library order. */
export function athenaNamedQueries(): AthenaNamedQuery[] {
  return LAKE_QUERIES.filter((query) => query.savedInAthena).map((query) => ({
    id: query.id,
    title: query.title,
    description: query.question,
    sql: `${REPLACE_NOTE}\n${query.sql}`,
  }));
}

/** docs/cookbook.md, generated from the queries above so the doc and the tested SQL never drift. */
export function cookbookMarkdown(): string {
  const sections = LAKE_QUERIES.map((query) => {
    const saved = query.savedInAthena
      ? ` Also saved in the stack's Athena workgroup as the named query *${query.title}*.`
      : '';
    return `## ${query.question}\n\n\`linkgap query --cookbook ${query.id} --campaign <id>\`\n\n${query.explanation}${saved}\n\n\`\`\`sql\n${query.sql}\n\`\`\`\n`;
  });
  return `${COOKBOOK_INTRO}\n${sections.join('\n')}`;
}

const COOKBOOK_INTRO = `# Query cookbook

Questions people ask of a campaign's history, answered in SQL. Every query runs unchanged in
**Athena** (the stack's workgroup: \`linkgap query --aws --athena "<sql>"\`, or paste it into the
Athena console) and **locally** through DuckDB (\`linkgap query "<sql>"\` over \`$LINKGAP_HOME/lake\`,
or \`linkgap query --lake <folder> "<sql>"\` over a folder made by
\`linkgap download --campaign <id> --all --what all --format parquet --out <folder>\`).
A test runs every query below against a simulated lake and checks the answers against the
simulator's ground truth (test/integration/cli-cookbook.test.ts).

Replace \`${LAKE_QUERY_CAMPAIGN_ID}\` with your campaign id, or let the CLI do it:
\`linkgap query --cookbook <query-id> --campaign <id>\`. \`linkgap query --cookbook list\` lists them.

## Two rules, and why

1. **Pin \`campaign_id\` with a literal on every table.** In Athena, the lake tables use partition
   projection: \`run_date\` is a \`date\` projection and \`campaign_id\` is \`injected\`, which means Athena
   cannot list the campaign ids by itself. It refuses a query that does not give each table a literal
   \`campaign_id = '...'\` (or \`IN ('...', '...')\`) condition with \`CONSTRAINT_VIOLATION\`. That is also what
   keeps each query cheap: Athena reads only that campaign's files. A join condition
   (\`p.campaign_id = r.campaign_id\`) is not enough; each table needs its own literal.
2. **Join \`runs\`.** A run's manifest (\`runs/\`) is written last and is its commit marker. A run that
   crashed half-way may have left prospects or changes files without a manifest; joining \`runs\`
   (\`ON p.run_id = r.run_id AND p.run_date = r.run_date\`) keeps them out. Queries that read only \`runs\`
   are safe by construction.

The SQL sticks to what Trino and DuckDB share: explicit \`GROUP BY\` (DuckDB's \`GROUP BY ALL\` is not
Trino), \`sum(CASE WHEN ... THEN 1 ELSE 0 END)\` for conditional counts, \`CAST(run_date AS DATE)\`
(\`run_date\` is a string partition key in both), \`date_diff('day', a, b)\`, \`year()\`, \`quarter()\`.

Columns of each table: see the lake contract in \`shared/lake/schema.ts\` (the Glue tables and the
DuckDB views are generated from it).
`;
