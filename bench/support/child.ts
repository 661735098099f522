/**
 * Runs a bench worker in a fresh Node process, so its peak RSS is its own. The worker prints one JSON
 * line prefixed with RESULT_PREFIX; `maxRssMb` comes from the child's own resource usage.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const RESULT_PREFIX = '@@bench-result ';

/** Call at the end of a worker: prints the result with the process's peak RSS. */
export function reportFromWorker(result: Record<string, unknown>): void {
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ ...result, maxRssMb })}\n`);
}

export async function runWorker<T extends Record<string, unknown>>(
  workerFile: string,
  args: string[],
  options: {
    timeoutMs?: number;
    maxOldSpaceMb?: number;
    /** False for a worker already bundled to JavaScript: it runs without tsx's loader (≈ 35 MB of RSS). */
    tsx?: boolean;
    /** More node flags, e.g. the ones a Lambda function's NODE_OPTIONS sets. */
    nodeFlags?: string[];
    /** Environment variables added to this process's for the child. */
    env?: Record<string, string>;
  } = {},
): Promise<T & { maxRssMb: number }> {
  const path = workerFile.startsWith('file:') ? fileURLToPath(workerFile) : workerFile;
  const nodeArgs = [...(options.tsx === false ? [] : ['--import', 'tsx']), ...(options.nodeFlags ?? [])];
  if (options.maxOldSpaceMb) nodeArgs.push(`--max-old-space-size=${options.maxOldSpaceMb}`);
  const child = spawn(process.execPath, [...nodeArgs, path, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const line = stdout.split('\n').find((text) => text.startsWith(RESULT_PREFIX));
  if (code !== 0 || line === undefined) {
    throw new Error(`bench worker ${path} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as T & { maxRssMb: number };
}
