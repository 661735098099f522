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

/** Making a folder: ENOENT there means no folder can be made at that place (as under /proc). */
const FOLDER_PROBLEMS: Record<string, string> = {
  ...WRITE_PROBLEMS,
  ENOENT: 'folders cannot be made there',
};

/** Why a folder could not be made or written into, in words. */
export const folderProblem = (error: unknown): string => problem(error, FOLDER_PROBLEMS);

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
 * UsageError. A file over `limit.maxBytes` is refused: a regular file from its size, before it is
 * read; anything else (a pipe, a FIFO, /dev/stdin, a device such as /dev/zero, whose size says
 * nothing) as soon as more than the cap has been read, so it never holds more than the cap.
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
  const tooLarge = (size: string) =>
    new UsageError(`${path} is ${size}; ${limit.what} may be at most ${megabytes(limit.maxBytes)}`);
  try {
    const { size } = await file.stat();
    if (size > limit.maxBytes) throw tooLarge(`${size} bytes (${megabytes(size)})`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await file.read({ buffer: Buffer.alloc(READ_CHUNK_BYTES) });
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit.maxBytes) throw tooLarge(`over ${megabytes(limit.maxBytes)}`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${path}: ${problem(error, FILE_PROBLEMS)}`);
  } finally {
    await file.close();
  }
}

/** One read of readUserBytes: large enough that a 20 MB file is a few hundred reads. */
const READ_CHUNK_BYTES = 256 * 1024;

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
  const { writeFile } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  try {
    if (options.makeFolder) await makeFolders(dirname(path));
    await writeFile(path, contents);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${problem(error, WRITE_PROBLEMS)}`);
  }
}

/** A file where a folder of the path should be: `path` names it. */
export class NotAFolderError extends Error {
  override name = 'NotAFolderError';
  readonly code = 'ENOTDIR';
  constructor(readonly path: string) {
    super(`${path} is a file, not a folder`);
  }
}

/**
 * Makes `folder` and its missing parents one level at a time below the nearest existing folder:
 * mkdir's recursive mode never returns on some paths (under /proc). A file in the way is a
 * NotAFolderError; any other failure is Node's own error, whose `syscall` and `path` say which
 * step and level. A level made meanwhile by someone else is fine.
 */
export async function makeFolders(folder: string): Promise<void> {
  const { mkdir, stat } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const missing: string[] = [];
  // Walks up one level per step: at most as many steps as the path has parts.
  for (let current = folder; ; current = dirname(current)) {
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (info?.isDirectory()) break;
    if (info) throw new NotAFolderError(current);
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}
