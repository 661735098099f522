import type { Command } from 'commander';
import { type Campaign, CampaignValidationError, parseCampaign } from '#domain/campaign.ts';
import { parseStoredCampaign } from '#pipeline/stored-campaign.ts';
import type { RunRecord } from '#shared/ports.ts';
import { campaignIdArgument, exitTwoOnUsageErrors } from '../arguments.ts';
import { type AwsOptions, type Backend, openBackend } from '../backend.ts';
import { campaignChanges, mergeForUpdate, scheduleText, startsNewBaseline } from '../campaign-edits.ts';
import type { CommandContext } from '../context.ts';
import { readUserFile, UsageError } from '../errors.ts';
import { parseWholeNumberOption, stackOption } from '../options.ts';
import { formatTable, printable } from '../output.ts';

export async function readCampaignFile(path: string): Promise<Campaign> {
  return (await readCampaignInput(path)).campaign;
}

/** A campaign file, validated, with the JSON as written (to tell a field left out from a default). */
export async function readCampaignInput(path: string): Promise<{ campaign: Campaign; input: unknown }> {
  const text = await readUserFile(path);
  let input: unknown;
  try {
    // Windows editors save UTF-8 with a byte order mark; it is not part of the JSON.
    input = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // JSON.parse quotes the text it stopped at with its new lines; an error is one line, so escape them.
    const reason = (error as Error).message.replace(/[\r\n]/g, (end) => (end === '\n' ? '\\n' : '\\r'));
    throw new UsageError(`${path} is not valid JSON: ${reason}`);
  }
  try {
    return { campaign: parseCampaign(input), input };
  } catch (error) {
    if (error instanceof CampaignValidationError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
}

/** The stored campaign, validated; a UsageError when it does not exist or no longer parses. */
export async function loadCampaign(backend: Backend, id: string): Promise<Campaign> {
  return (await loadStoredCampaign(backend, id)).campaign;
}

/** The stored campaign and its raw value as read (for a conditional write back). */
async function loadStoredCampaign(
  backend: Backend,
  id: string,
): Promise<{ campaign: Campaign; raw: unknown }> {
  campaignIdArgument(id);
  const raw = await backend.campaigns().get(id);
  if (raw === undefined)
    throw new UsageError(`no campaign "${id}" in ${backend.where} (linkgap campaign list)`);
  try {
    return { campaign: parseStoredCampaign(id, raw), raw };
  } catch (error) {
    if (error instanceof CampaignValidationError) {
      throw new UsageError(`stored ${error.message} (fix it with linkgap campaign update <file>)`);
    }
    throw error;
  }
}

/** One `campaign show` runs-table row: status, date, cost, and why it failed. */
export function runRow(record: RunRecord): Record<string, unknown> {
  const summary = record.summary;
  return {
    run_date: record.runDate,
    status: record.status,
    gap: summary?.gapSize ?? null,
    new: summary?.newCount ?? null,
    closed: summary?.closedCount ?? null,
    lost: summary?.lostCount ?? null,
    moz_rows: summary?.rowsConsumed ?? null,
    truncated: summary === undefined ? '' : summary.truncated ? 'yes' : 'no',
    attempts: record.attempt,
    finished: record.finishedAt?.slice(0, 16).replace('T', ' ') ?? '',
    error: record.status === 'FAILED' && record.error ? `${record.error.kind}: ${record.error.message}` : '',
  };
}

function withAwsOptions(command: Command): Command {
  return command
    .option('--aws', 'work on the deployed DynamoDB table instead of the local store')
    .option(...stackOption('table'));
}

type Print = (text: string) => void;

export function registerCampaignCommands(program: Command, context: CommandContext): void {
  const campaign = exitTwoOnUsageErrors(
    program
      .command('campaign')
      .description('add, update, list, show, enable, disable and remove campaigns (local, or --aws)'),
  );
  // Names, targets and run errors come from people and the Moz API: made printable on the way out.
  const out: Print = (text) => context.output.out(printable(text));
  /** Runs `work` against the backend the options choose, and closes it. */
  const using = async (options: AwsOptions, work: (backend: Backend) => Promise<void>) => {
    const backend = await openBackend(options, context.env);
    try {
      await work(backend);
    } finally {
      backend.close();
    }
  };

  withAwsOptions(
    campaign
      .command('add')
      .description('validate a campaign JSON file and store it (refuses an id that exists: use update)')
      .argument('<file>', 'campaign JSON (see README: Configure a campaign)'),
  ).action((file: string, options: AwsOptions) =>
    using(options, (backend) => addCampaign(file, backend, out)),
  );
  withAwsOptions(
    campaign
      .command('update')
      .description(
        'validate a campaign JSON file and replace the stored campaign with the same id (keeps "enabled" unless the file sets it)',
      )
      .argument('<file>', 'campaign JSON')
      .option('--new-baseline', 'go ahead when the change makes the next run start a new baseline'),
  ).action((file: string, options: AwsOptions & { newBaseline?: boolean }) =>
    using(options, (backend) => updateCampaign(file, options, backend, out)),
  );
  withAwsOptions(campaign.command('list').description('list stored campaigns')).action(
    (options: AwsOptions) => using(options, (backend) => listCampaigns(backend, out)),
  );
  withAwsOptions(
    campaign
      .command('show')
      .description('print a campaign and its last runs (status, gap, changes, Moz rows spent)')
      .argument('<id>', 'campaign id')
      .option('--runs <n>', 'how many recent runs to list', '12')
      .option('--json', 'print the config and run records as JSON'),
  ).action((id: string, options: AwsOptions & { runs: string; json?: boolean }) =>
    // JSON is data: printed exactly (its escapes already keep control characters out).
    using(options, (backend) => showCampaign(id, options, backend, options.json ? context.output.out : out)),
  );
  for (const enabled of [false, true]) {
    withAwsOptions(
      campaign
        .command(enabled ? 'enable' : 'disable')
        .description(
          enabled ? 'schedule a disabled campaign again' : 'stop scheduling a campaign (its history stays)',
        )
        .argument('<id>', 'campaign id'),
    ).action((id: string, options: AwsOptions) =>
      using(options, (backend) => setEnabled(id, enabled, backend, out)),
    );
  }
  withAwsOptions(
    campaign
      .command('remove')
      .description('delete a campaign config (asks nothing); its run records and lake files are kept')
      .argument('<id>', 'campaign id'),
  ).action((id: string, options: AwsOptions) =>
    using(options, (backend) => removeCampaign(id, backend, out)),
  );
}

async function addCampaign(file: string, backend: Backend, out: Print): Promise<void> {
  const parsed = await readCampaignFile(file);
  // One conditional write: of two concurrent adds of an id, exactly one succeeds.
  if ((await backend.campaigns().create(parsed)) === 'exists') {
    throw new UsageError(
      `campaign "${parsed.id}" already exists in ${backend.where}: use linkgap campaign update ${file}`,
    );
  }
  out(
    `campaign ${parsed.id} added to ${backend.where} (${parsed.competitors.length} competitors, ${scheduleText(parsed.schedule)})`,
  );
}

async function listCampaigns(backend: Backend, out: Print): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for await (const stored of backend.campaigns().list()) {
    try {
      const parsed = parseStoredCampaign(stored.id, stored.raw);
      rows.push({
        id: parsed.id,
        name: parsed.name ?? '',
        site: parsed.site.map((site) => site.target).join(', '),
        competitors: parsed.competitors.length,
        schedule: scheduleText(parsed.schedule),
        max_rows: parsed.maxRowsPerRun,
        enabled: parsed.enabled ? 'yes' : 'no',
      });
    } catch (error) {
      rows.push({ id: stored.id, name: `INVALID: ${(error as Error).message}` });
    }
  }
  out(
    rows.length === 0
      ? `no campaigns in ${backend.where} yet: linkgap campaign add <file.json>`
      : formatTable(rows),
  );
}

async function showCampaign(
  id: string,
  options: { runs: string; json?: boolean },
  backend: Backend,
  out: Print,
): Promise<void> {
  const limit = parseWholeNumberOption(options.runs, '--runs', { min: 1, max: 1000 });
  const config = await loadCampaign(backend, id);
  const runs = await backend.runs().list(id, limit);
  out(
    options.json
      ? JSON.stringify({ campaign: config, runs }, null, 2)
      : showText(config, runs, backend.where),
  );
}

async function setEnabled(id: string, enabled: boolean, backend: Backend, out: Print): Promise<void> {
  const { campaign: current, raw } = await loadStoredCampaign(backend, id);
  if (current.enabled === enabled) {
    out(`campaign ${id} is already ${enabled ? 'enabled' : 'disabled'}`);
    return;
  }
  if ((await backend.campaigns().replace({ ...current, enabled }, raw)) === 'changed')
    throw changedMeanwhile(id, backend);
  out(`campaign ${id} ${enabled ? 'enabled' : 'disabled'} in ${backend.where}`);
}

async function removeCampaign(id: string, backend: Backend, out: Print): Promise<void> {
  campaignIdArgument(id);
  const store = backend.campaigns();
  const raw = await store.get(id);
  if (raw === undefined)
    throw new UsageError(`no campaign "${id}" in ${backend.where} (linkgap campaign list)`);
  await store.remove(id);
  const name = typeof raw === 'object' && raw !== null && 'name' in raw ? ` "${String(raw.name)}"` : '';
  out(`removed campaign ${id}${name} from ${backend.where}; it will not be scheduled again.`);
  out(
    `Kept: its run records and the lake history (prospects/, changes/, runs/ under campaign_id=${id}/); ` +
      `add the same id again to continue the series.`,
  );
}

const changedMeanwhile = (id: string, backend: Backend) =>
  new UsageError(
    `campaign ${id} was changed in ${backend.where} while this command ran; nothing was written (run it again to apply it to the new version)`,
  );

/**
 * `campaign update`: keeps the stored `enabled` unless the file sets it, prints every change, refuses
 * a change that starts a new baseline without --new-baseline, and writes only if nobody else wrote
 * the campaign since it was read.
 */
async function updateCampaign(
  file: string,
  options: { newBaseline?: boolean },
  backend: Backend,
  out: (text: string) => void,
): Promise<void> {
  const { campaign: fromFile, input } = await readCampaignInput(file);
  const id = fromFile.id;
  const raw = await backend.campaigns().get(id);
  if (raw === undefined)
    throw new UsageError(
      `no campaign "${id}" in ${backend.where} to update: use linkgap campaign add ${file}`,
    );
  let stored: Campaign | undefined;
  try {
    stored = parseStoredCampaign(id, raw);
  } catch (error) {
    if (!(error instanceof CampaignValidationError)) throw error;
  }
  const next = mergeForUpdate(fromFile, input, raw);
  const changes = stored
    ? campaignChanges(stored, next)
    : ['(the stored campaign was invalid: replaced as a whole)'];
  if (changes.length === 0) {
    out(`campaign ${id} in ${backend.where}: nothing changed`);
    return;
  }
  const newBaseline = startsNewBaseline(next, (await backend.runs().latest(id))?.configHash);
  const changeLines = changes.map((change) => `  ${change}`);
  if (newBaseline && !options.newBaseline) {
    out([`campaign ${id} in ${backend.where} would change:`, ...changeLines].join('\n'));
    throw new UsageError(
      `this changes what defines ${id}'s gap list (targets, scopes, threshold, source scope or sort): the next run starts a new baseline, with every prospect "new" and nothing closed or lost against earlier runs. Nothing was written; add --new-baseline to go ahead.`,
    );
  }
  if ((await backend.campaigns().replace(next, raw)) === 'changed') throw changedMeanwhile(id, backend);
  const lines = [`campaign ${id} updated in ${backend.where}:`, ...changeLines];
  if (stored && !stored.enabled && !next.enabled && !changes.some((change) => change.startsWith('enabled:')))
    lines.push(`it stays disabled (linkgap campaign enable ${id} schedules it again)`);
  if (newBaseline) lines.push('the next run starts a new baseline (the config hash changed)');
  out(lines.join('\n'));
}

/** The human text of `campaign show`: what it tracks, how, and its last runs. */
export function showText(config: Campaign, runs: readonly RunRecord[], where: string): string {
  const targets = (list: Campaign['site']) => list.map((t) => `${t.target} (${t.scope})`).join(', ');
  const lines = [
    `campaign ${config.id}${config.name ? ` "${config.name}"` : ''} in ${where}`,
    `  enabled:        ${config.enabled ? 'yes' : 'no'}`,
    `  site:           ${targets(config.site)}`,
    `  competitors:    ${targets(config.competitors)}`,
    `  matching:       at least ${config.minMatchingTargets} competitor(s), sources at ${config.sourceScope} scope, sorted by ${config.sort}`,
    `  schedule:       ${scheduleText(config.schedule)}`,
    `  budget:         ${config.maxRowsPerRun} Moz rows per run; verify departures: ${config.verifyDepartures ? 'yes' : 'no'}`,
    `  ignore:         ${config.ignore.length === 0 ? '(none)' : config.ignore.join(', ')}`,
    '',
  ];
  if (runs.length === 0) {
    lines.push('no runs yet (linkgap run --campaign <id>, or wait for the schedule)');
  } else {
    lines.push(`last ${runs.length} run(s), newest first:`, formatTable(runs.map(runRow)));
  }
  return lines.join('\n');
}
