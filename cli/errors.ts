/** A problem the user can fix: printed as one line, exit code 2 (1 is for failed runs). */
export class UsageError extends Error {
  override name = 'UsageError';
}
