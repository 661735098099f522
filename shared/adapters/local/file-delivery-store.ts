import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeliveryKey, DeliveryRecord, DeliveryStore } from '#shared/ports.ts';
import { claimDelivery, settleDelivery } from '../delivery-transitions.ts';
import { unlessMissing, writeFileAtomically } from './atomic-file.ts';
import { withFileLock } from './file-lock.ts';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const safe = (what: string, value: string) => {
  if (!SAFE.test(value)) throw new Error(`invalid ${what}: ${value.slice(0, 80)}`);
  return value;
};

/**
 * Digest delivery markers as JSON files, `<home>/deliveries/<campaign>/<run_id>.<channel>.json`,
 * each read-modify-write under the campaign's delivery lock file (same semantics as DynamoDB).
 */
export function createFileDeliveryStore(home: string): DeliveryStore {
  const folder = (campaignId: string) => join(home, 'deliveries', safe('campaign id', campaignId));
  const pathOf = (key: DeliveryKey) =>
    join(folder(key.campaignId), `${safe('run id', key.runId)}.${safe('channel', key.channel)}.json`);
  const locked = <T>(campaignId: string, work: () => Promise<T>) =>
    withFileLock(join(folder(campaignId), '.lock'), work);
  const read = async (key: DeliveryKey): Promise<DeliveryRecord | undefined> => {
    const text = await unlessMissing(readFile(pathOf(key), 'utf8'));
    return text === undefined ? undefined : (JSON.parse(text) as DeliveryRecord);
  };
  const write = (record: DeliveryRecord) =>
    writeFileAtomically(pathOf(record), `${JSON.stringify(record, null, 2)}\n`);
  return {
    get: read,
    claim: (key, now, leaseMs) =>
      locked(key.campaignId, async () => {
        const { result, write: next } = claimDelivery(await read(key), key, now, leaseMs);
        if (next) await write(next);
        return result;
      }),
    settle: (record, outcome, now) =>
      locked(record.campaignId, async () => {
        const next = settleDelivery(await read(record), record, outcome, now);
        if (next) await write(next);
      }),
  };
}
