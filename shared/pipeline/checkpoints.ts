import * as z from 'zod';
import type { CallCost as CallCostType } from '#domain/call-cost.ts';
import { builtSchema, lazySchema } from '#domain/lazy-schema.ts';
import { decodeJson, encodeJson } from '#lake/json.ts';
import { pageCheckpointKey, stagingPrefix, verifyCheckpointKey } from '#lake/keys.ts';
import type { ObjectStore } from '#shared/ports.ts';

/** What one Moz call cost, as the client counted it (retries included). */
const CallCost = lazySchema(
  () =>
    z.object({
      rowsConsumed: z.number().int().nonnegative(),
      requests: z.number().int().nonnegative(),
      retries: z.number().int().nonnegative(),
      rowsPossiblyMeteredOnFailures: z.number().int().nonnegative(),
    }) satisfies z.ZodType<CallCostType>,
);

const CheckpointRow = lazySchema(() =>
  z.object({
    source: z.string(),
    title: z.string(),
    domainAuthority: z.number(),
    spamScore: z.number().nullable(),
    pageAuthority: z.number().nullable(),
    matchingTargetIndexes: z.array(z.number().int()),
    sourcePages: z.array(z.object({ page: z.string(), pageAuthority: z.number() })),
  }),
);

/** One fetched Link Intersect page: written before the next page is requested, so it is never paid for twice. */
export const PageCheckpoint = lazySchema(() =>
  z.object({
    page: z.number().int().positive(),
    requestToken: z.string().nullable(),
    limit: z.number().int().positive(),
    rows: z.array(builtSchema(CheckpointRow)),
    nextToken: z.string().nullable(),
    cost: builtSchema(CallCost),
    /** Rows of this page dropped at the boundary (absent in checkpoints written before it was counted). */
    droppedRows: z.number().int().nonnegative().optional(),
  }),
);
export type PageCheckpoint = z.infer<typeof PageCheckpoint>;

/** One Link Status batch for departed prospects against one of the campaign's site targets. */
export const VerifyCheckpoint = lazySchema(() =>
  z.object({
    batch: z.number().int().positive(),
    siteTarget: z.string(),
    sources: z.array(z.string()),
    exists: z.array(z.boolean()),
    cost: builtSchema(CallCost),
    /**
     * Set when the batch failed after the client's retries (the error's name): its sources stay
     * unverified, `exists` is empty, and a resumed run stops verifying here instead of paying again.
     */
    failed: z.string().optional(),
  }),
);
export type VerifyCheckpoint = z.infer<typeof VerifyCheckpoint>;

export interface RunRef {
  campaignId: string;
  runDate: string;
  runId: string;
}

export class CheckpointCorruptError extends Error {
  override name = 'CheckpointCorruptError';
}

/** A page checkpoint without its rows: what a run keeps of a page once its rows are folded in. */
export type PageSeen = Omit<PageCheckpoint, 'rows'> & { rowCount: number };

/** Page checkpoints read ahead of the one being visited, at most (a run may have thousands). */
const PAGE_READ_AHEAD = 8;

/**
 * Visits the run's page checkpoints in page order, one at a time, so a resumed run folds its pages
 * without holding them all; returns each page without its rows.
 */
export async function forEachPage(
  lake: ObjectStore,
  run: RunRef,
  visit: (page: PageCheckpoint) => void,
): Promise<PageSeen[]> {
  const keys = (await lake.list(`${stagingPrefix(run.campaignId, run.runDate, run.runId)}pages/`)).filter(
    (key) => key.endsWith('.json'),
  );
  const read = (key: string) => {
    const page = readCheckpoint(lake, key, PageCheckpoint);
    page.catch(() => undefined); // awaited in turn below; a run that stops early must not leave it unhandled
    return page;
  };
  const pending = keys.slice(0, PAGE_READ_AHEAD).map(read);
  const seen: PageSeen[] = [];
  for (let index = 0; index < keys.length; index++) {
    const page = await (pending[index] as Promise<PageCheckpoint>);
    pending[index] = undefined as unknown as Promise<PageCheckpoint>;
    const next = keys[index + PAGE_READ_AHEAD];
    if (next !== undefined) pending.push(read(next));
    if (page.page !== index + 1)
      throw new CheckpointCorruptError(`page checkpoints of run ${run.runId} have a gap at ${index + 1}`);
    visit(page);
    const { rows, ...rest } = page;
    seen.push({ ...rest, rowCount: rows.length });
  }
  return seen;
}

export async function loadVerifyBatches(lake: ObjectStore, run: RunRef): Promise<VerifyCheckpoint[]> {
  return loadAll(lake, `${stagingPrefix(run.campaignId, run.runDate, run.runId)}verify/`, VerifyCheckpoint);
}

export async function savePage(lake: ObjectStore, run: RunRef, page: PageCheckpoint): Promise<void> {
  await lake.put(pageCheckpointKey(run.campaignId, run.runDate, run.runId, page.page), encodeJson(page), {
    contentType: 'application/json',
  });
}

export async function saveVerifyBatch(
  lake: ObjectStore,
  run: RunRef,
  batch: VerifyCheckpoint,
): Promise<void> {
  await lake.put(
    verifyCheckpointKey(run.campaignId, run.runDate, run.runId, batch.batch),
    encodeJson(batch),
    {
      contentType: 'application/json',
    },
  );
}

export async function clearStaging(lake: ObjectStore, run: RunRef): Promise<void> {
  await lake.delete(await lake.list(stagingPrefix(run.campaignId, run.runDate, run.runId)));
}

async function loadAll<T>(lake: ObjectStore, prefix: string, schema: z.ZodType<T>): Promise<T[]> {
  const keys = (await lake.list(prefix)).filter((key) => key.endsWith('.json'));
  return Promise.all(keys.map((key) => readCheckpoint(lake, key, schema)));
}

async function readCheckpoint<T>(lake: ObjectStore, key: string, schema: z.ZodType<T>): Promise<T> {
  const bytes = await lake.get(key);
  if (!bytes) throw new CheckpointCorruptError(`checkpoint ${key} vanished while reading`);
  try {
    return decodeJson(bytes, schema);
  } catch (error) {
    throw new CheckpointCorruptError(`checkpoint ${key} is unreadable: ${(error as Error).message}`);
  }
}
