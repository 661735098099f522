import type { Queue, RunMessage } from '#shared/ports.ts';

/** The embedded queue: messages wait in memory until `drain` hands them to a consumer. */
export interface MemoryQueue extends Queue {
  readonly pending: readonly RunMessage[];
  drain(): RunMessage[];
}

export function createMemoryQueue(): MemoryQueue {
  const pending: RunMessage[] = [];
  return {
    pending,
    async send(messages) {
      pending.push(...messages.map((message) => ({ ...message })));
    },
    drain: () => pending.splice(0, pending.length),
  };
}
