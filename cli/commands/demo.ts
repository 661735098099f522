import { relative } from 'node:path';
import type { Command } from 'commander';
import { parseCampaign } from '#domain/campaign.ts';
import type { Digest } from '#domain/digest.ts';
import { monthlyRunDates } from '#domain/schedule.ts';
import { decodeManifest } from '#lake/manifest.ts';
import { findLakeQuery, withCampaign } from '#lake/queries.ts';
import type { RunManifest } from '#lake/schema.ts';
import { silentLog } from '#shared/observability.ts';
// Imported, not read from disk, so the built CLI carries the example campaign inside its bundle.
import demoCampaign from '../../examples/acme-trail-shoes.json' with { type: 'json' };
import type { CommandContext } from '../context.ts';
import { ExitCodeError } from '../errors.ts';
import { trapInterrupts } from '../interrupts.ts';
import { createLocalContext, type LocalContext } from '../local-context.ts';
import { runLocally, undeliveredDigestLines, unfinishedLine } from '../local-runner.ts';
import { parseDateOption, parseWholeNumberOption, todayUtc } from '../options.ts';
import { formatTable, printable } from '../output.ts';

/** The demo answers one cookbook question, so its example is a query people can reuse as-is. */
export const DEMO_QUERY_ID = 'monthly-closure-rate';

/** The monthly run dates the demo replays: the first of each of the last `months` months up to `end`. */
export function demoRunDates(end: string, months: number): string[] {
  const [year, month] = end.split('-').map(Number) as [number, number];
  const first = new Date(Date.UTC(year, month - 1 - (months - 1), 1)).toISOString().slice(0, 10);
  return monthlyRunDates(first, months, 1);
}

export function registerDemoCommand(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description('replay months of gap tracking for an example campaign against the embedded Moz simulator')
    .option('--months <n>', 'how many monthly periods to replay', '6')
    .option('--as-of <date>', 'the last period is the month of this date (YYYY-MM-DD)')
    .action(async (options: { months: string; asOf?: string }) => {
      const months = parseWholeNumberOption(options.months, '--months', { min: 1, max: 36 });
      const end = options.asOf ? parseDateOption(options.asOf, '--as-of') : todayUtc();
      // The demo never spends real quota: credentials in the environment are ignored here.
      const env = {
        ...context.env,
        MOZ_TOKEN: '',
        MOZ_ACCESS_ID: '',
        MOZ_SECRET_KEY: '',
        MOZ_API_BASE_URL: '',
      };
      const local = await createLocalContext({ env, log: silentLog });
      try {
        await runDemo(local, context, demoRunDates(end, months));
      } finally {
        await local.close();
      }
    });
}

async function runDemo(local: LocalContext, context: CommandContext, runDates: string[]): Promise<void> {
  const { output } = context;
  const campaign = parseCampaign(demoCampaign);
  if ((await local.campaigns.get(campaign.id)) === undefined) await local.campaigns.put(campaign);
  output.out(
    `linkgap demo: campaign ${campaign.id}, site ${campaign.site[0]?.target}, ${campaign.competitors.length} competitors`,
  );
  output.out(`Moz: embedded simulator at ${local.simulator?.baseUrl}; home: ${local.home}\n`);

  const interrupts = trapInterrupts(output);
  const digests: Digest[] = [];
  const results = await runLocally(
    local,
    runDates.map((runDate) => ({ campaignId: campaign.id, runDate })),
    {
      log: silentLog,
      signal: interrupts.signal,
      onDigest: (digest) => digests.push(digest),
      env: context.env,
    },
  ).finally(() => interrupts.release());
  // A home that already holds later months cannot take earlier ones (linkgap never back-fills): the
  // demo says so and replays the rest, rather than failing.
  const older = results.filter((result) => result.outcome.outcome === 'refused');
  if (older.length > 0) {
    output.out(
      `not replayed: ${older.map((result) => result.message.runDate).join(', ')}, older than the months already in ${local.home} (linkgap never back-fills; use an empty LINKGAP_HOME for a longer replay)\n`,
    );
  }
  const replayed = results.filter((result) => result.outcome.outcome !== 'refused');
  const unfinished = unfinishedLine(replayed, {
    interrupted: interrupts.signal.aborted,
    expected: runDates.length - older.length,
  });
  // A failed or busy month ends the demo here (exit 1), before the table: the rows below are all
  // committed or already done.
  if (unfinished?.exitCode === 0) output.err(`linkgap: ${unfinished.line}`);
  else if (unfinished) throw new ExitCodeError(unfinished.line, unfinished.exitCode);
  const rows: Record<string, unknown>[] = [];
  for (const result of replayed) {
    const manifest = await manifestOf(local, result.message.campaignId, result.message.runDate);
    if (!manifest) {
      rows.push({ month: result.message.runDate.slice(0, 7), run: result.outcome.outcome });
      continue;
    }
    rows.push({
      month: manifest.run_date.slice(0, 7),
      run: result.outcome.outcome === 'committed' ? 'ran' : 'already done',
      gap: manifest.gap_size,
      new: manifest.new_count,
      closed: manifest.closed_count,
      lost: manifest.lost_count,
      unverified: manifest.unverified_count,
      reopened: manifest.reopened_count,
      moz_rows: manifest.rows_consumed,
      closure_rate: manifest.closure_rate === null ? '-' : `${(manifest.closure_rate * 100).toFixed(1)}%`,
    });
  }
  output.out(formatTable(rows));
  for (const line of undeliveredDigestLines(results)) output.err(line);

  const relativeRoot = relative(process.cwd(), local.lakeRoot);
  const where = relativeRoot && !relativeRoot.startsWith('..') ? relativeRoot : local.lakeRoot;
  output.out(`\nSnapshots (Parquet + JSON manifests, Athena layout) are in ${where}/:`);
  output.out(`  ${where}/prospects/campaign_id=${campaign.id}/run_date=YYYY-MM-DD/<run_id>.parquet`);
  output.out(`  ${where}/changes/...   ${where}/runs/...`);
  output.out(
    `  ${where}/reports/campaign_id=${campaign.id}/run_date=YYYY-MM-DD/<run_id>.html   each run's report`,
  );
  const latestDigest = digests.at(-1);
  if (latestDigest) {
    const earlier = digests.length > 1 ? ` (one per run; ${digests.length - 1} earlier not shown)` : '';
    output.out(`\nThe digest of the latest run, as the team receives it by email or webhook${earlier}:\n`);
    output.out(printable(latestDigest.text));
  }
  const example = findLakeQuery(DEMO_QUERY_ID);
  if (!example) throw new Error(`the query library has no ${DEMO_QUERY_ID}`);
  const sql = withCampaign(example.sql, campaign.id);
  output.out(`\n${example.question} (linkgap query --cookbook ${example.id}; the same SQL runs in Athena)`);
  output.out(sql);
  const { openLake } = await import('#lake/duckdb.ts');
  const lake = await openLake(local.lakeRoot);
  try {
    output.out(formatTable(await lake.query(sql)));
  } finally {
    lake.close();
  }
}

async function manifestOf(
  local: LocalContext,
  campaignId: string,
  runDate: string,
): Promise<RunManifest | undefined> {
  const record = await local.runs.get(campaignId, runDate);
  if (!record?.summary) return undefined;
  const bytes = await local.lake.get(record.summary.manifestKey);
  return bytes ? decodeManifest(bytes) : undefined;
}
