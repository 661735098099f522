import { access, constants, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { toCsv, toJsonLines } from '#lake/csv.ts';
import { reportKey, reportsPrefix, reviewEventsPrefix } from '#lake/keys.ts';
import { decodeParquet } from '#lake/parquet.ts';
import { decodeReviewEvents } from '#lake/review-events.ts';
import { LAKE_TABLES, type RunTableName } from '#lake/schema.ts';
import type { ObjectStore } from '#shared/ports.ts';
import { campaignIdArgument, exitTwoOnUsageErrors } from '../arguments.ts';
import { type AwsOptions, type Backend, openBackend } from '../backend.ts';
import { type CommittedRun, committedRuns, copyKeys, tableKeyOf } from '../committed-runs.ts';
import type { CommandContext } from '../context.ts';
import { folderProblem, makeFolders, NotAFolderError, UsageError } from '../errors.ts';
import { parseDateOption, stackOption } from '../options.ts';
import { humanOutput, processOutput } from '../output.ts';
import {
  addProspectFilterOptions,
  type ProspectFilterOptions,
  prospectFilter,
  prospectFilterLabel,
} from '../prospect-filters.ts';

export type DownloadFormat = 'parquet' | 'csv' | 'jsonl';
const FORMATS: readonly DownloadFormat[] = ['parquet', 'csv', 'jsonl'];
const TABLES: readonly RunTableName[] = ['prospects', 'changes', 'runs'];
/** Fewer files than this finish before a progress bar would be worth drawing. */
const PROGRESS_MIN_FILES = 6;

interface DownloadOptions extends AwsOptions, ProspectFilterOptions {
  campaign: string;
  runDate?: string;
  latest?: boolean;
  all?: boolean;
  what?: string;
  format: string;
  out: string;
}

export function registerDownloadCommand(program: Command, context: CommandContext): void {
  const command = exitTwoOnUsageErrors(program.command('download'));
  // The review queue's filters narrow the prospects rows of csv and jsonl downloads (parquet is as-is).
  addProspectFilterOptions(command);
  command
    .description('copy committed snapshots of a campaign out of the lake (local, or S3 with --aws)')
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--run-date <date>', 'the run of this scheduled date (YYYY-MM-DD)')
    .option('--latest', 'the newest committed run (the default)')
    .option('--all', 'every committed run')
    .option(
      '--what <tables>',
      "prospects, changes, runs, reviews (every review event of the campaign), reports (each run's HTML report), a comma list, or all (the four tables; default: all for parquet, so the folder is a whole lake; prospects for csv and jsonl)",
    )
    .option(
      '--format <format>',
      'parquet (files as-is, Athena layout), csv (spreadsheets) or jsonl',
      'parquet',
    )
    .requiredOption('--out <dir>', 'folder to write into (created if missing)')
    .option('--aws', 'read the deployed S3 lake instead of $LINKGAP_HOME/lake')
    .option(...stackOption('bucket'))
    .action(async (options: DownloadOptions) => {
      const backend = await openBackend(options, context.env);
      try {
        await download(options, backend, context);
      } finally {
        backend.close();
      }
    });
}

interface What {
  /** The run tables: one file per selected run. */
  tables: RunTableName[];
  /** The review events: every one of the campaign, whichever runs are selected (they belong to none). */
  reviews: boolean;
  /** The runs' HTML reports (not a table). */
  reports: boolean;
}

/** What --what asks for. */
function parseWhat(text: string): What {
  if (text.trim() === 'all') return { tables: [...TABLES], reviews: true, reports: false };
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(TABLES as readonly string[]).includes(name) && name !== 'reports' && name !== 'reviews') {
      throw new UsageError(
        `--what must be prospects, changes, runs, reviews, reports, a comma list of them, or all; got "${name}"`,
      );
    }
  }
  const tables = [...new Set(names.filter((name) => (TABLES as readonly string[]).includes(name)))];
  return {
    tables: tables as RunTableName[],
    reviews: names.includes('reviews'),
    reports: names.includes('reports'),
  };
}

/** The keys of every review event of the campaign, oldest first (the key names sort by time). */
async function reviewEventKeys(lake: ObjectStore, campaignId: string): Promise<string[]> {
  return (await lake.list(reviewEventsPrefix(campaignId))).filter((key) => key.endsWith('.json')).sort();
}

/** CSV / JSON Lines: the review events in one file, in the order they happened. */
async function exportReviewEvents(
  lake: ObjectStore,
  keys: readonly string[],
  format: Exclude<DownloadFormat, 'parquet'>,
  path: string,
  tick: () => void,
): Promise<string> {
  const events = [];
  for (const key of keys) {
    const bytes = await lake.get(key);
    if (bytes === undefined) throw new Error(`lake object ${key} disappeared while downloading`);
    events.push(...decodeReviewEvents(bytes));
    tick();
  }
  events.sort((a, b) => a.changed_at.localeCompare(b.changed_at) || a.event_id.localeCompare(b.event_id));
  const rows = events as unknown as Record<string, unknown>[];
  await writeFile(path, format === 'csv' ? toCsv(LAKE_TABLES.reviews.columns, rows) : toJsonLines(rows));
  return path;
}

/** The report keys of the selected runs that exist in the lake (a run committed before reports has none). */
async function reportKeysOf(
  lake: ObjectStore,
  campaignId: string,
  runs: readonly CommittedRun[],
): Promise<string[]> {
  const present = new Set(await lake.list(reportsPrefix(campaignId)));
  return runs
    .map((run) => reportKey(run.campaignId, run.runDate, run.runId))
    .filter((key) => present.has(key));
}

/** The --out folder, created if missing (errors.ts makeFolders), or a one-line UsageError naming what is in the way. */
async function writableFolder(out: string): Promise<string> {
  const folder = resolve(out);
  await makeFolders(folder).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof NotAFolderError)
      throw new UsageError(`cannot write to --out ${out}: ${error.message}`);
    if (error.syscall === 'mkdir')
      throw new UsageError(`cannot create --out ${out}: ${folderProblem(error)} (${error.path})`);
    throw new UsageError(`cannot write to --out ${out}: ${error.path}: ${folderProblem(error)}`);
  });
  await access(folder, constants.W_OK).catch((error: unknown) => {
    throw new UsageError(`cannot write to --out ${out}: ${folderProblem(error)}`);
  });
  return folder;
}

/** Which committed runs the flags select; a UsageError that says what exists when nothing matches. */
export function selectRuns(
  runs: readonly CommittedRun[],
  options: Pick<DownloadOptions, 'runDate' | 'latest' | 'all'>,
): CommittedRun[] {
  const chosen = [options.runDate !== undefined, options.latest === true, options.all === true].filter(
    Boolean,
  ).length;
  if (chosen > 1) throw new UsageError('choose one of --run-date, --latest and --all');
  if (options.all) return [...runs];
  if (options.runDate !== undefined) {
    const date = parseDateOption(options.runDate, '--run-date');
    const matching = runs.filter((run) => run.runDate === date);
    if (matching.length === 0) {
      const dates = [...new Set(runs.map((run) => run.runDate))];
      const shown = dates.slice(-6).join(', ');
      throw new UsageError(
        `no committed run on ${date}; committed run dates: ${shown}${dates.length > 6 ? ' (and older)' : ''}`,
      );
    }
    return matching;
  }
  const newest = runs[runs.length - 1];
  return newest ? [newest] : [];
}

async function download(options: DownloadOptions, backend: Backend, context: CommandContext): Promise<void> {
  const format = options.format as DownloadFormat;
  if (!FORMATS.includes(format))
    throw new UsageError(`--format must be parquet, csv or jsonl; got "${options.format}"`);
  prospectFilter(options); // every filter value checked before anything is read
  const filtered = ['state', 'status', 'minDa', 'maxSpam', 'minScore', 'minMatches'].some(
    (name) => options[name as keyof ProspectFilterOptions] !== undefined,
  );
  if (filtered && format === 'parquet')
    throw new UsageError(
      'the prospect filters (--state, --status, --min-*, --max-spam) need --format csv or jsonl',
    );
  // Parquet keeps the lake layout, so the folder is queried as a lake: a table left out would read as
  // empty (a closure rate of 0 every month). CSV and JSON Lines are for people: prospects by default.
  const { tables, reviews, reports } = parseWhat(
    options.what ?? (format === 'parquet' ? 'all' : 'prospects'),
  );
  campaignIdArgument(options.campaign, '--campaign id');
  if (options.runDate !== undefined) parseDateOption(options.runDate, '--run-date');
  const lake = backend.lake();
  const runs = await committedRuns(lake, options.campaign);
  if (runs.length === 0) {
    const known = options.aws ? undefined : await backend.campaigns().get(options.campaign);
    throw new UsageError(
      known === undefined && !options.aws
        ? `no campaign "${options.campaign}" and no runs of it in ${backend.lakeWhere()} (linkgap campaign list)`
        : `campaign "${options.campaign}" has no committed runs in ${backend.lakeWhere()} yet (linkgap run --campaign ${options.campaign})`,
    );
  }
  const selected = selectRuns(runs, options);
  const folder = await writableFolder(options.out);

  // Parquet keeps the lake's layout; the manifests come along as the commit markers, so the folder is
  // itself a lake (linkgap query --lake <out>) and prefixes match `aws s3 cp --recursive`.
  const parquetTables =
    format === 'parquet' && tables.length > 0 && !tables.includes('runs')
      ? [...tables, 'runs' as const]
      : tables;
  const keys = selected.flatMap((run) => parquetTables.map((table) => tableKeyOf(run, table)));
  // Reports are copied as-is whatever the format, under the lake's reports/ layout.
  const reportKeys = reports ? await reportKeysOf(lake, options.campaign, selected) : [];
  if (reports && tables.length === 0 && !reviews && reportKeys.length === 0) {
    throw new UsageError(
      `no reports of the selected run(s) in ${backend.lakeWhere()} yet (linkgap report --publish --campaign ${options.campaign} writes them)`,
    );
  }
  const reviewKeys = reviews ? await reviewEventKeys(lake, options.campaign) : [];
  if (reviews && tables.length === 0 && !reports && reviewKeys.length === 0) {
    throw new UsageError(
      `no review events of ${options.campaign} in ${backend.lakeWhere()} yet (linkgap review import or review set writes them)`,
    );
  }
  const progress = startProgress(context, keys.length + reportKeys.length + reviewKeys.length);
  let written: string[];
  try {
    const tick = () => progress?.increment();
    written =
      format === 'parquet'
        ? await copyKeys(lake, [...keys, ...reviewKeys], folder, tick)
        : await exportRows(lake, selected, tables, format, folder, options, tick);
    if (reviews && format !== 'parquet') {
      const path = join(folder, `${options.campaign}-reviews.${format === 'csv' ? 'csv' : 'jsonl'}`);
      written.push(await exportReviewEvents(lake, reviewKeys, format, path, tick));
    }
    written.push(...(await copyKeys(lake, reportKeys, folder, tick)));
  } finally {
    progress?.stop();
  }
  const first = selected[0]?.runDate;
  const last = selected.at(-1)?.runDate;
  const runText = selected.length === 1 ? `run ${first}` : `${selected.length} runs (${first} to ${last})`;
  const out = humanOutput(context.output).out;
  const what = reports ? (tables.length === 0 && !reviews ? 'report' : `${format} and report`) : format;
  out(
    `downloaded ${options.campaign} ${runText} from ${backend.lakeWhere()}: ${written.length} ${what} file(s) in ${folder}`,
  );
  for (const file of written.slice(0, 12)) out(`  ${file}`);
  if (written.length > 12) out(`  ... and ${written.length - 12} more`);
}

/** CSV / JSON Lines: one file per run and table, plus one combined file per table with --all. */
async function exportRows(
  lake: ObjectStore,
  runs: readonly CommittedRun[],
  tables: readonly RunTableName[],
  format: Exclude<DownloadFormat, 'parquet'>,
  folder: string,
  options: DownloadOptions,
  tick: () => void,
): Promise<string[]> {
  const written: string[] = [];
  const extension = format === 'csv' ? 'csv' : 'jsonl';
  const keep = prospectFilter(options);
  // A filtered prospects file says its filter in its name, so it never replaces the whole one.
  const label = prospectFilterLabel(options);
  const filterPart = (table: RunTableName) => (table === 'prospects' && label !== '' ? `-${label}` : '');
  const encode = (table: RunTableName, rows: Record<string, unknown>[]) =>
    format === 'csv' ? toCsv(LAKE_TABLES[table].columns, rows) : toJsonLines(rows);
  const sameDate = (run: CommittedRun) => runs.filter((other) => other.runDate === run.runDate).length > 1;
  for (const table of tables) {
    const combined: Record<string, unknown>[] = [];
    for (const run of runs) {
      const rows = (await readRows(lake, run, table)).filter(
        (row) => table !== 'prospects' || keep(row as unknown as Parameters<typeof keep>[0]),
      );
      combined.push(...rows);
      const suffix = sameDate(run) ? `-${run.runId}` : '';
      const path = join(
        folder,
        `${run.campaignId}-${table}-${run.runDate}${suffix}${filterPart(table)}.${extension}`,
      );
      await writeFile(path, encode(table, rows));
      written.push(path);
      tick();
    }
    if (options.all && runs.length > 1) {
      const path = join(folder, `${options.campaign}-${table}-all${filterPart(table)}.${extension}`);
      await writeFile(path, encode(table, combined));
      written.push(path);
    }
  }
  return written;
}

async function readRows(
  lake: ObjectStore,
  run: CommittedRun,
  table: RunTableName,
): Promise<Record<string, unknown>[]> {
  if (table === 'runs') return [run.manifest];
  const key = tableKeyOf(run, table);
  const bytes = await lake.get(key);
  if (bytes === undefined)
    throw new Error(`run ${run.runId} is committed but ${key} is missing from the lake`);
  const rows =
    table === 'prospects' ? await decodeParquet('prospects', bytes) : await decodeParquet('changes', bytes);
  return rows as unknown as Record<string, unknown>[];
}

/** A progress bar on stderr, only for a person watching a terminal and a download that takes a while. */
function startProgress(context: CommandContext, total: number): SingleBar | undefined {
  if (
    total < PROGRESS_MIN_FILES ||
    context.output !== processOutput ||
    !process.stderr.isTTY ||
    context.env.CI
  ) {
    return undefined;
  }
  const bar = new SingleBar({
    format: 'downloading [{bar}] {value}/{total} files',
    stream: process.stderr,
    clearOnComplete: true,
    hideCursor: true,
  });
  bar.start(total, 0);
  return bar;
}
