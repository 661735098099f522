import { randomUUID } from 'node:crypto';
import { link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** `read`'s result, or undefined when the file or folder it reads does not exist (ENOENT). */
export async function unlessMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes a whole file atomically: the bytes go to a temporary file beside it, which then takes the
 * name. A reader never sees half a file. With `exclusive`, the temporary file is hard-linked to the
 * name instead, and link() fails with EEXIST when the name is taken, atomically: of two writers
 * exactly one wins ('created'), the other gets 'exists' and the file is left as it was.
 */
export async function writeFileAtomically(
  path: string,
  body: Uint8Array | string | AsyncIterable<Uint8Array>,
  options: { exclusive?: boolean } = {},
): Promise<'created' | 'exists'> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, body);
  try {
    if (options.exclusive) await link(temporary, path);
    else await rename(temporary, path);
    return 'created';
  } catch (error) {
    if (options.exclusive && (error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
