/** Client side of bench/workers/simulator.ts: the simulator in a child process. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RemoteSimulator {
  baseUrl: string;
  stats(): Promise<{ requests: number; rowsConsumed: number; rateLimited: number }>;
  reset(): Promise<void>;
  setRate(requestsPerSecond: number | null): Promise<void>;
  warm(body: unknown): Promise<number>;
  close(): Promise<void>;
}

export async function startRemoteSimulator(options: {
  seed: string;
  universeSize: number;
  token: string;
}): Promise<RemoteSimulator> {
  const worker = fileURLToPath(new URL('../workers/simulator.ts', import.meta.url));
  const child = fork(worker, [options.seed, String(options.universeSize), options.token], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (result: unknown) => void>();
  let next = 1;
  const ready = new Promise<string>((resolve, reject) => {
    pending.set(0, (result) => resolve(result as string));
    child.once('exit', (code) => reject(new Error(`simulator worker exited ${code}`)));
  });
  child.on('message', (raw) => {
    const { id, result } = raw as { id: number; result: unknown };
    pending.get(id)?.(result);
    pending.delete(id);
  });
  const call = (op: string, extra: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      child.send({ id, op, ...extra });
    });
  const baseUrl = await ready;
  return {
    baseUrl,
    stats: async () => (await call('stats')) as Awaited<ReturnType<RemoteSimulator['stats']>>,
    reset: async () => {
      await call('reset');
    },
    setRate: async (requests) => {
      await call('rate', { requests });
    },
    warm: async (body) => (await call('warm', { body })) as number,
    close: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call('close');
      await exited;
    },
  };
}
