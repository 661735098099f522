import { readFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Campaign } from '#domain/campaign.ts';
import type {
  ClaimRequest,
  ClaimResult,
  EditableCampaignStore,
  LatestPointer,
  RunOwner,
  RunRecord,
  RunStore,
} from '#shared/ports.ts';
import { chainCommit, claimRun, commitRun, failRun, releaseRun } from '../run-record-transitions.ts';
import { unlessMissing, writeFileAtomically } from './atomic-file.ts';
import { withFileLock } from './file-lock.ts';

async function readJson(path: string): Promise<unknown | undefined> {
  const text = await unlessMissing(readFile(path, 'utf8'));
  if (text === undefined) return undefined;
  try {
    // Windows editors save UTF-8 with a byte order mark; it is not part of the JSON.
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch {
    // Hand-edited and broken: hand the text on, so validation fails this campaign only.
    return text;
  }
}

const jsonText = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFileAtomically(path, jsonText(value));
}

/** Writes a file that must not exist yet; of two writers exactly one wins (see writeFileAtomically). */
const createJsonExclusively = (path: string, value: unknown) =>
  writeFileAtomically(path, jsonText(value), { exclusive: true });

const safeId = (id: string) => {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id) || id.startsWith('.'))
    throw new Error(`invalid id: ${id.slice(0, 80)}`);
  return id;
};

/**
 * Campaigns as one JSON file each under `<home>/campaigns/`, editable by hand. `replace` compares and
 * writes under a lock file, so two CLI edits serialize; a hand edit in between is seen as a change.
 */
export function createFileCampaignStore(home: string): EditableCampaignStore {
  const folder = join(home, 'campaigns');
  const pathOf = (id: string) => join(folder, `${safeId(id)}.json`);
  return {
    get: (id) => readJson(pathOf(id)),
    async *list() {
      const all = await unlessMissing(readdir(folder));
      if (all === undefined) return;
      const names = all.filter((name) => name.endsWith('.json')).sort();
      for (const name of names) {
        const id = name.slice(0, -'.json'.length);
        yield { id, raw: await readJson(join(folder, name)) };
      }
    },
    put: (campaign: Campaign) => writeJsonAtomically(pathOf(campaign.id), campaign),
    create: (campaign: Campaign) => createJsonExclusively(pathOf(campaign.id), campaign),
    replace: (campaign: Campaign, expected: unknown) =>
      withFileLock(join(folder, '.lock'), async () => {
        const current = await readJson(pathOf(campaign.id));
        if (current === undefined || !isDeepStrictEqual(current, expected)) return 'changed';
        await writeJsonAtomically(pathOf(campaign.id), campaign);
        return 'replaced';
      }),
    async remove(id) {
      const path = pathOf(id);
      const existed = (await readJson(path)) !== undefined;
      await rm(path, { force: true });
      return existed;
    },
  };
}

/**
 * The owner is a process on this machine that no longer runs (ctrl-C, kill -9, a closed terminal).
 * A killed process whose parent has not reaped it yet is a zombie: `kill(pid, 0)` still succeeds on
 * it, yet it runs no code, so it counts as gone too.
 */
export function localOwnerGone(owner: RunOwner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return isZombie(owner.pid);
}

/** Linux: the state field of /proc/<pid>/stat is `Z`. Elsewhere (no /proc) nothing is called a zombie. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ...": comm may hold spaces and parentheses, so read after the last ")".
    return stat
      .slice(stat.lastIndexOf(')') + 1)
      .trimStart()
      .startsWith('Z');
  } catch {
    return false;
  }
}

/** This process, as the owner of the claims it makes. */
export const thisProcess = (): RunOwner => ({ host: hostname(), pid: process.pid });

/** LATEST.json: the pointer, plus the committed record, so a crash between the two writes loses nothing. */
type LatestFile = LatestPointer & { committedRecord?: RunRecord };

/**
 * Run records as JSON files under `<home>/runs/<campaign>/`, with the same conditional semantics as
 * the DynamoDB store: every read-modify-write happens under a per-campaign lock file. A commit writes
 * LATEST.json first, with the committed record inside it: that one rename is the atomic commit, and a
 * record file left RUNNING by a crash right after it is read as committed.
 */
export function createFileRunStore(home: string): RunStore {
  const folder = (campaignId: string) => join(home, 'runs', safeId(campaignId));
  const recordPath = (campaignId: string, runDate: string) => join(folder(campaignId), `${runDate}.json`);
  const latestPath = (campaignId: string) => join(folder(campaignId), 'LATEST.json');
  const locked = <T>(campaignId: string, work: () => Promise<T>) =>
    withFileLock(join(folder(campaignId), '.lock'), work);
  const readLatest = async (campaignId: string) =>
    (await readJson(latestPath(campaignId))) as LatestFile | undefined;
  const read = async (campaignId: string, runDate: string) => {
    const record = (await readJson(recordPath(campaignId, runDate))) as RunRecord | undefined;
    if (record === undefined || record.status === 'SUCCEEDED') return record;
    const committed = (await readLatest(campaignId))?.committedRecord;
    return committed?.runId === record.runId && committed.runDate === runDate ? committed : record;
  };
  const write = (record: RunRecord) =>
    writeJsonAtomically(recordPath(record.campaignId, record.runDate), record);

  return {
    claim: (request: ClaimRequest) =>
      locked(request.campaignId, async (): Promise<ClaimResult> => {
        const existing = await read(request.campaignId, request.runDate);
        const { result, write: next } = claimRun(existing, request, localOwnerGone);
        if (next) await write(next);
        return result;
      }),

    release: (record, now) =>
      locked(record.campaignId, async () => {
        const next = releaseRun(await read(record.campaignId, record.runDate), record, now);
        if (next) await write(next);
      }),

    fail: (record, error, now) =>
      locked(record.campaignId, async () => {
        const next = failRun(await read(record.campaignId, record.runDate), record, error, now);
        if (next) await write(next);
      }),

    commit: (request) =>
      locked(request.record.campaignId, async () => {
        const { record, summary, pointer, now } = request;
        const next = commitRun(await read(record.campaignId, record.runDate), record, summary, now);
        const latest = await readLatest(record.campaignId);
        if (chainCommit(latest, request) === 'move') {
          const file: LatestFile = next ? { ...pointer, committedRecord: next } : pointer;
          await writeJsonAtomically(latestPath(record.campaignId), file);
        }
        if (next) await write(next);
      }),

    get: read,
    async latest(campaignId) {
      const latest = await readLatest(campaignId);
      if (latest === undefined) return undefined;
      const { committedRecord: _record, ...pointer } = latest;
      return pointer;
    },
    async list(campaignId, limit = 100) {
      const names = (await unlessMissing(readdir(folder(campaignId)))) ?? [];
      const dates = names
        .filter((name) => /^\d{4}-\d{2}-\d{2}\.json$/.test(name))
        .map((name) => name.slice(0, 10))
        .sort()
        .reverse()
        .slice(0, limit);
      const records = await Promise.all(dates.map((date) => read(campaignId, date)));
      return records.filter((record): record is RunRecord => record !== undefined);
    },
  };
}
