/**
 * `linkgap review import` as a real process on files whose size says nothing: a device that never
 * ends (/dev/zero) and a FIFO fed without end are refused as soon as more than the 20 MB cap has been
 * read, in one line, instead of being read into memory until the process dies.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test/support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
/** Far above the few seconds a refusal takes; the bug read gigabytes for longer than this. */
const BOUND_MS = 25_000;

interface Finished {
  code: number | null;
  stderr: string;
  killed: boolean;
}

/** `linkgap review import --campaign acme-trail-shoes <file>`, killed if it outlives BOUND_MS. */
function importFile(home: string, file: string): Promise<Finished> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'cli/bin.ts',
      'review',
      'import',
      '--campaign',
      'acme-trail-shoes',
      '--by',
      'dana',
      file,
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH, LINKGAP_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, BOUND_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: stderr.trim(), killed });
    });
  });
}

describe('review import of a pipe or a device', () => {
  const home = tempDir('import-streams');
  const writers: ChildProcess[] = [];
  afterAll(() => {
    for (const writer of writers) writer.kill('SIGKILL');
    home.remove();
  });

  it('refuses /dev/zero once more than the cap has been read, in one line', { timeout: 40_000 }, async () => {
    if (!existsSync('/dev/zero')) return;
    const result = await importFile(home.path, '/dev/zero');
    expect(result.killed).toBe(false);
    expect(result).toMatchObject({
      code: 2,
      stderr: 'linkgap: /dev/zero is over 20 MB; a review queue file may be at most 20 MB',
    });
  });

  it('refuses a FIFO fed without end the same way', { timeout: 40_000 }, async () => {
    const fifo = join(home.path, 'queue.csv');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo here: /dev/zero covers the path
    // `yes` writes until the reader closes the FIFO, then dies of SIGPIPE (killed in afterAll if not).
    const writer = spawn('sh', ['-c', `exec yes 'blog.example,approved' > "$1"`, 'sh', fifo], {
      stdio: 'ignore',
    });
    writers.push(writer);
    const result = await importFile(home.path, fifo);
    expect(result.killed).toBe(false);
    expect(result).toMatchObject({
      code: 2,
      stderr: `linkgap: ${fifo} is over 20 MB; a review queue file may be at most 20 MB`,
    });
  });
});
