import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ObjectStore } from '#shared/ports.ts';
import { unlessMissing, writeFileAtomically } from './atomic-file.ts';

/**
 * The lake as a folder, with the same keys as S3. Writes go to a temporary file first and are
 * linked into place, so a reader never sees half a file and a write-once put is atomic.
 */
export function createFsObjectStore(root: string): ObjectStore {
  const pathOf = (key: string) => {
    if (key.split('/').some((part) => part === '..' || part === ''))
      throw new Error(`invalid lake key: ${key}`);
    return join(root, ...key.split('/'));
  };

  return {
    put: (key, body, options) => writeFileAtomically(pathOf(key), body, { exclusive: options?.ifNoneMatch }),

    // The chunks go to the temporary file as they come; it is linked into place when complete.
    putStream: (key, body, options) =>
      writeFileAtomically(pathOf(key), body, { exclusive: options?.ifNoneMatch }),

    async get(key) {
      const bytes = await unlessMissing(readFile(pathOf(key)));
      return bytes === undefined ? undefined : new Uint8Array(bytes);
    },

    async list(prefix) {
      const keys: string[] = [];
      const walk = async (directory: string): Promise<void> => {
        const entries = await unlessMissing(readdir(directory, { withFileTypes: true }));
        if (entries === undefined) return;
        for (const entry of entries) {
          const path = join(directory, entry.name);
          if (entry.isDirectory()) await walk(path);
          else if (!entry.name.endsWith('.tmp')) keys.push(relative(root, path).split(sep).join('/'));
        }
      };
      // Walk only the deepest folder the prefix names, then filter by the full prefix.
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      await walk(folder ? pathOf(folder) : root);
      return keys.filter((key) => key.startsWith(prefix)).sort();
    },

    async delete(keys) {
      await Promise.all(keys.map((key) => rm(pathOf(key), { force: true })));
    },
  };
}
