import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const STALE_AFTER_MS = 30_000;
/** Past this, waiting for the lock is an error rather than a hang (a holder never takes more than ms). */
const GIVE_UP_AFTER_MS = 60_000;

export class FileLockTimeoutError extends Error {
  override name = 'FileLockTimeoutError';
}

/**
 * Runs `work` while holding an exclusive lock file. `open(..., 'wx')` is atomic across processes,
 * so two CLI invocations (or two in-process deliveries) never interleave their read-modify-write.
 */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    if (Date.now() - started > GIVE_UP_AFTER_MS) {
      throw new FileLockTimeoutError(
        `gave up after ${GIVE_UP_AFTER_MS / 1000} s waiting for ${lockPath}; another linkgap process keeps it`,
      );
    }
    try {
      const handle = await open(lockPath, 'wx');
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const info = await stat(lockPath).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_AFTER_MS) await rm(lockPath, { force: true });
      else await sleep(Math.min(5 + attempt * 2, 50));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}
