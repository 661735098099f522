import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Campaign } from '#domain/campaign.ts';
import type {
  ClaimRequest,
  ClaimResult,
  EditableCampaignStore,
  LatestPointer,
  RunRecord,
  RunStore,
} from '#shared/ports.ts';
import { claimRun, commitRun, failRun, pointerMoves, releaseRun } from '../run-record-transitions.ts';
import { withFileLock } from './file-lock.ts';

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    // Windows editors save UTF-8 with a byte order mark; it is not part of the JSON.
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch {
    // Hand-edited and broken: hand the text on, so validation fails this campaign only.
    return text;
  }
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, path);
}

/**
 * Writes a file that must not exist yet: the whole text goes to a temporary file, which is then
 * hard-linked to its name. link() fails with EEXIST when the name is taken, atomically, so of two
 * writers exactly one wins and nobody ever sees a half-written file.
 */
async function createJsonExclusively(path: string, value: unknown): Promise<'created' | 'exists'> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  try {
    await link(temporary, path);
    return 'created';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

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
      let names: string[];
      try {
        names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
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
 * Run records as JSON files under `<home>/runs/<campaign>/`, with the same conditional semantics as
 * the DynamoDB store: every read-modify-write happens under a per-campaign lock file.
 */
export function createFileRunStore(home: string): RunStore {
  const folder = (campaignId: string) => join(home, 'runs', safeId(campaignId));
  const recordPath = (campaignId: string, runDate: string) => join(folder(campaignId), `${runDate}.json`);
  const latestPath = (campaignId: string) => join(folder(campaignId), 'LATEST.json');
  const locked = <T>(campaignId: string, work: () => Promise<T>) =>
    withFileLock(join(folder(campaignId), '.lock'), work);
  const read = async (campaignId: string, runDate: string) =>
    (await readJson(recordPath(campaignId, runDate))) as RunRecord | undefined;
  const write = (record: RunRecord) =>
    writeJsonAtomically(recordPath(record.campaignId, record.runDate), record);

  return {
    claim: (request: ClaimRequest) =>
      locked(request.campaignId, async (): Promise<ClaimResult> => {
        const { result, write: next } = claimRun(await read(request.campaignId, request.runDate), request);
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

    commit: (record, summary, pointer, now) =>
      locked(record.campaignId, async () => {
        const next = commitRun(await read(record.campaignId, record.runDate), record, summary, now);
        if (next) await write(next);
        const latest = (await readJson(latestPath(record.campaignId))) as LatestPointer | undefined;
        if (pointerMoves(latest, pointer)) await writeJsonAtomically(latestPath(record.campaignId), pointer);
      }),

    get: read,
    latest: async (campaignId) => (await readJson(latestPath(campaignId))) as LatestPointer | undefined,
    async list(campaignId, limit = 100) {
      let names: string[];
      try {
        names = await readdir(folder(campaignId));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
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
