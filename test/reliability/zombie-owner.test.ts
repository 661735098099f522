// A run killed while its parent never reaps it stays a zombie: `kill(pid, 0)` still succeeds on it,
// so the claim it held looked busy forever. A zombie runs no code; its claim is free.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { localOwnerGone } from '#adapters/local/file-stores.ts';

const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
});

/** A child (`sleep 0`) whose parent (`exec sleep 30`) never waits for it: it stays a zombie. */
async function unreapedChildPid(): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  started.push(parent);
  const pid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pid from the shell within 5 s')), 5_000);
    parent.stdout?.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(Number(chunk.toString().trim()));
    });
  });
  // Bounded wait until the kernel shows the child as a zombie.
  for (let attempt = 0; attempt < 100; attempt++) {
    if (zombieState(pid)) return pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`process ${pid} never became a zombie`);
}

function zombieState(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.startsWith('Z') ?? false;
  } catch {
    return false;
  }
}

describe.runIf(existsSync('/proc/self/stat'))('the owner of a local claim', () => {
  it('is gone when it is a zombie (killed, never reaped)', async () => {
    const pid = await unreapedChildPid();
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(localOwnerGone({ host: hostname(), pid })).toBe(true);
  });

  it('is not gone while it runs', () => {
    expect(localOwnerGone({ host: hostname(), pid: process.pid })).toBe(false);
  });
});
