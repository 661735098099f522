import type { RateGate } from '#moz/rate-gate.ts';

/**
 * The same gate, counting the writes its permits refused (a slot missed: the process was not
 * running at its slot, or a new connection's handshake took too long); nothing is sent for those.
 */
export function countingMissedSlots(gate: RateGate): { gate: RateGate; missed: () => number } {
  let missed = 0;
  const reserve = gate.reserve?.bind(gate);
  const counting: RateGate = {
    acquire: (signal) => gate.acquire(signal),
    pause: (ms) => gate.pause(ms),
  };
  if (reserve) {
    counting.reserve = async (signal, prepare) => {
      const permit = await reserve(signal, prepare);
      let asked = false;
      return {
        write() {
          const ok = permit.write();
          if (!asked && !ok) missed++;
          asked = true;
          return ok;
        },
        unused: () => permit.unused(),
      };
    };
  }
  return { gate: counting, missed: () => missed };
}
