/**
 * In-memory implementations of the ports, with the same conditional semantics as the file and
 * DynamoDB stores, so a benchmark measures the pipeline and not a disk or a network.
 */
import { chainCommit, claimRun, commitRun, failRun, releaseRun } from '#adapters/run-record-transitions.ts';
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
  const store = (next: RunRecord | undefined) => {
    if (next) byCampaign(next.campaignId).set(next.runDate, next);
  };

  return {
    async claim(request): Promise<ClaimResult> {
      const { result, write } = claimRun(byCampaign(request.campaignId).get(request.runDate), request);
      store(write);
      return result;
    },
    async release(record, now) {
      store(releaseRun(byCampaign(record.campaignId).get(record.runDate), record, now));
    },
    async fail(record, error, now) {
      store(failRun(byCampaign(record.campaignId).get(record.runDate), record, error, now));
    },
    async commit(request) {
      const { record, summary, pointer, now } = request;
      const next = commitRun(byCampaign(record.campaignId).get(record.runDate), record, summary, now);
      if (chainCommit(latest.get(record.campaignId), request) === 'move')
        latest.set(record.campaignId, pointer);
      store(next);
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
