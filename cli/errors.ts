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

/** Reads a text file the user named, or a one-line UsageError that says why it could not be read. */
export async function readUserFile(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`cannot read ${path}: ${FILE_PROBLEMS[code] ?? (code || (error as Error).message)}`);
  }
}
