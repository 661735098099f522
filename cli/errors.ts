/** A problem the user can fix: printed as one line, exit code 2 (1 is for failed runs). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Thrown by a command that printed its own report and only needs a non-zero exit. */
export class ExitCodeError extends Error {
  override name = 'ExitCodeError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
};

/** Writing adds its own causes; ENOENT names the folder, since the file is to be made. */
const WRITE_PROBLEMS: Record<string, string> = {
  ...FILE_PROBLEMS,
  ENOENT: 'its folder does not exist',
  EEXIST: 'a part of the path is a file, not a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

const problem = (error: unknown, problems: Record<string, string>): string => {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return problems[code] ?? (code || (error as Error).message);
};

/** Reads a text file the user named, or a one-line UsageError that says why it could not be read. */
export async function readUserFile(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${problem(error, FILE_PROBLEMS)}`);
  }
}

/**
 * Reads a file the user named as bytes (its encoding is the caller's to decide), or a one-line
 * UsageError. A file over `limit.maxBytes` is refused from its size, before it is read.
 */
export async function readUserBytes(
  path: string,
  limit: { maxBytes: number; what: string },
): Promise<Uint8Array> {
  const { open } = await import('node:fs/promises');
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${problem(error, FILE_PROBLEMS)}`);
  }
  try {
    const { size } = await file.stat();
    if (size > limit.maxBytes)
      throw new UsageError(
        `${path} is ${size} bytes (${megabytes(size)}); ${limit.what} may be at most ${megabytes(limit.maxBytes)}`,
      );
    return await file.readFile();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${path}: ${problem(error, FILE_PROBLEMS)}`);
  } finally {
    await file.close();
  }
}

const megabytes = (bytes: number) =>
  `${Number.isInteger(bytes / 2 ** 20) ? bytes / 2 ** 20 : (bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * Writes a file the user named (with `makeFolder`, its missing folders first), or a one-line
 * UsageError that says in words why it could not be written.
 */
export async function writeUserFile(
  path: string,
  contents: string | Uint8Array,
  options: { makeFolder?: boolean } = {},
): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  try {
    if (options.makeFolder) await mkdir(dirname(path), { recursive: true });
    await writeFile(path, contents);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${problem(error, WRITE_PROBLEMS)}`);
  }
}
