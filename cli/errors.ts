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
