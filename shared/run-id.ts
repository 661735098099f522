import { randomBytes } from 'node:crypto';

/** A sortable, unique run id: the UTC start time plus randomness, e.g. `20261101T060012-9f3a1c2b`. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}
