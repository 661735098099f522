/**
 * In-memory implementations of the ports, with the same conditional semantics as the file and
 * DynamoDB stores, so a benchmark measures the pipeline and not a disk or a network.
 */
import type { Campaign } from '#domain/campaign.ts';
import type {
  CampaignStore,
  ClaimResult,
  LatestPointer,
  ObjectStore,
  RunRecord,
  RunStore,
  StoredCampaign,
} from '#shared/ports.ts';

export function createMemoryCampaignStore(initial: readonly Campaign[] = []): CampaignStore & {
  readonly size: number;
} {
  const items = new Map<string, unknown>(initial.map((campaign) => [campaign.id, campaign]));
  return {
    get size() {
      return items.size;
    },
    get: async (id) => items.get(id),
    async *list(): AsyncIterable<StoredCampaign> {
      for (const [id, raw] of items) yield { id, raw };
    },
    put: async (campaign) => {
      items.set(campaign.id, campaign);
    },
    remove: async (id) => items.delete(id),
  };
}

export function createMemoryRunStore(): RunStore {
  const records = new Map<string, Map<string, RunRecord>>();
  const latest = new Map<string, LatestPointer>();
  const byCampaign = (campaignId: string) => {
    let runs = records.get(campaignId);
    if (!runs) {
      runs = new Map();
      records.set(campaignId, runs);
    }
    return runs;
  };
  const owns = (current: RunRecord | undefined, record: RunRecord) =>
    current !== undefined && current.runId === record.runId && current.attempt === record.attempt;

  return {
    async claim(request): Promise<ClaimResult> {
      const runs = byCampaign(request.campaignId);
      const existing = runs.get(request.runDate);
      const now = request.now.getTime();
      const fresh = (runId: string, attempt: number): RunRecord => ({
        campaignId: request.campaignId,
        runDate: request.runDate,
        runId,
        configHash: request.configHash,
        status: 'RUNNING',
        attempt,
        leaseUntil: now + request.leaseMs,
        startedAt: request.now.toISOString(),
        updatedAt: request.now.toISOString(),
      });
      if (!existing) {
        const record = fresh(request.runId, 1);
        runs.set(request.runDate, record);
        return { outcome: 'claimed', record: { ...record }, resumed: false };
      }
      if (existing.status === 'SUCCEEDED' && !request.force) return { outcome: 'done', record: existing };
      if (existing.status === 'RUNNING' && existing.leaseUntil > now)
        return { outcome: 'busy', record: existing };
      if (existing.status === 'SUCCEEDED' || existing.configHash !== request.configHash) {
        const record = fresh(request.runId, existing.attempt + 1);
        runs.set(request.runDate, record);
        return { outcome: 'claimed', record: { ...record }, resumed: false };
      }
      const record: RunRecord = {
        ...existing,
        status: 'RUNNING',
        attempt: existing.attempt + 1,
        leaseUntil: now + request.leaseMs,
        updatedAt: request.now.toISOString(),
      };
      delete record.error;
      runs.set(request.runDate, record);
      return { outcome: 'claimed', record: { ...record }, resumed: true };
    },
    async release(record, now) {
      const current = byCampaign(record.campaignId).get(record.runDate);
      if (!owns(current, record) || current?.status !== 'RUNNING') return;
      current.leaseUntil = now.getTime();
    },
    async fail(record, error, now) {
      const current = byCampaign(record.campaignId).get(record.runDate);
      if (!owns(current, record) || current?.status !== 'RUNNING') return;
      Object.assign(current, {
        status: 'FAILED',
        error,
        leaseUntil: now.getTime(),
        updatedAt: now.toISOString(),
      });
    },
    async commit(record, summary, pointer, now) {
      const current = byCampaign(record.campaignId).get(record.runDate);
      if (current?.runId !== record.runId) throw new Error(`run ${record.runId} no longer owns its record`);
      if (current.status !== 'SUCCEEDED') {
        Object.assign(current, { status: 'SUCCEEDED', summary, finishedAt: now.toISOString() });
      }
      const before = latest.get(record.campaignId);
      if (!before || before.runDate <= pointer.runDate) latest.set(record.campaignId, pointer);
    },
    get: async (campaignId, runDate) => byCampaign(campaignId).get(runDate),
    latest: async (campaignId) => latest.get(campaignId),
    async list(campaignId, limit = 100) {
      return [...byCampaign(campaignId).values()]
        .sort((a, b) => (a.runDate < b.runDate ? 1 : a.runDate > b.runDate ? -1 : 0))
        .slice(0, limit);
    },
  };
}

export function createMemoryObjectStore(): ObjectStore & { bytes(prefix?: string): number } {
  const objects = new Map<string, Uint8Array>();
  return {
    async put(key, body, options) {
      if (options?.ifNoneMatch && objects.has(key)) return 'exists';
      objects.set(key, body);
      return 'created';
    },
    get: async (key) => objects.get(key),
    list: async (prefix) => [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(),
    async delete(keys) {
      for (const key of keys) objects.delete(key);
    },
    bytes(prefix = '') {
      let total = 0;
      for (const [key, body] of objects) if (key.startsWith(prefix)) total += body.byteLength;
      return total;
    },
  };
}
