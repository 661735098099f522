import type { ObjectStore } from '#shared/ports.ts';

/**
 * Lake objects read at once. The lake holds many small objects that are read together (a manifest per
 * run, a file per review change, never compacted); one S3 GET at a time (tens of ms each) made a
 * report or a run listing take seconds.
 */
export const OBJECTS_READ_AT_ONCE = 16;

/** The objects at `keys`, in their order, OBJECTS_READ_AT_ONCE at a time; undefined for a key gone since it was listed. */
export async function readObjects(
  lake: Pick<ObjectStore, 'get'>,
  keys: readonly string[],
): Promise<(Uint8Array | undefined)[]> {
  const objects: (Uint8Array | undefined)[] = [];
  for (let start = 0; start < keys.length; start += OBJECTS_READ_AT_ONCE) {
    const batch = keys.slice(start, start + OBJECTS_READ_AT_ONCE);
    objects.push(...(await Promise.all(batch.map((key) => lake.get(key)))));
  }
  return objects;
}
