/**
 * The Moz simulator in a process of its own, driven over IPC: the rate-limit benchmark's client does
 * CPU work (diffs, Parquet) that would otherwise delay the simulator's arrival timestamps, which the
 * real Moz API, on another machine, never sees.
 * Messages: {id, op: 'stats' | 'reset' | 'rate', requests?} → {id, result}.
 */
import { startSimulator } from '#simulator/server.ts';

const [seed = 'bench', universe = '40000', token = 'bench-token'] = process.argv.slice(2);
const simulator = await startSimulator({ seed, universeSize: Number(universe), token });

interface Command {
  id: number;
  op: 'stats' | 'reset' | 'rate' | 'warm' | 'close';
  requests?: number;
  body?: unknown;
}

process.on('message', (raw) => {
  const command = raw as Command;
  const reply = (result: unknown) => process.send?.({ id: command.id, result });
  switch (command.op) {
    case 'stats':
      return reply(simulator.stats());
    case 'reset':
      simulator.resetUsage();
      return reply(null);
    case 'rate':
      simulator.setRateLimit(command.requests ? { requests: command.requests, perMs: 1000, burst: 1 } : null);
      return reply(null);
    case 'warm':
      return reply(simulator.truth.intersect(command.body).length);
    case 'close':
      void simulator.close().then(() => {
        reply(null);
        process.disconnect();
      });
      return;
  }
});
process.send?.({ id: 0, result: simulator.baseUrl });
