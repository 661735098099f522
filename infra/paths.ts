import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding package.json and package-lock.json). */
export const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** An absolute path from a repository-relative one. */
export function repoPath(relative: string): string {
  return join(REPO_ROOT, relative);
}
