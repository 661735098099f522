/**
 * The digest-delivery state machine, shared by the file and DynamoDB stores (which supply the
 * atomicity, as for run records): claim → SENT, or → FAILED; an expired claim or a FAILED one can be
 * claimed again. Pure: what is stored in, what to write out.
 */
import type { DeliveryClaim, DeliveryKey, DeliveryRecord } from '#shared/ports.ts';

export function claimDelivery(
  existing: DeliveryRecord | undefined,
  key: DeliveryKey,
  now: Date,
  leaseMs: number,
): { result: DeliveryClaim; write?: DeliveryRecord } {
  if (existing?.state === 'SENT') return { result: { outcome: 'sent', record: existing } };
  if (existing?.state === 'CLAIMED' && existing.leaseUntil > now.getTime())
    return { result: { outcome: 'busy', record: existing } };
  const record: DeliveryRecord = {
    campaignId: key.campaignId,
    runDate: key.runDate,
    runId: key.runId,
    channel: key.channel,
    state: 'CLAIMED',
    attempt: (existing?.attempt ?? 0) + 1,
    leaseUntil: now.getTime() + leaseMs,
    updatedAt: now.toISOString(),
  };
  return { result: { outcome: 'claimed', record }, write: record };
}

/** The settled record, or undefined when the claim was lost meanwhile (expired and taken over). */
export function settleDelivery(
  existing: DeliveryRecord | undefined,
  mine: DeliveryRecord,
  outcome: { state: 'SENT' } | { state: 'FAILED'; error: string },
  now: Date,
): DeliveryRecord | undefined {
  if (existing?.state !== 'CLAIMED' || existing.attempt !== mine.attempt) return undefined;
  const { error: _previous, ...rest } = existing;
  return {
    ...rest,
    state: outcome.state,
    leaseUntil: 0,
    updatedAt: now.toISOString(),
    ...(outcome.state === 'FAILED' ? { error: outcome.error.slice(0, 500) } : {}),
  };
}
