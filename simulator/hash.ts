// Small, fast, deterministic integer hashing and a seeded PRNG.
// Everything in the simulated link graph derives from these, so the same seed
// always gives the same universe, links and faults.

/** FNV-1a over the UTF-16 code units of `text`, finished with an avalanche mix. */
export function hashString(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3 fmix32: a cheap bijective avalanche on 32-bit integers. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines two 32-bit hashes into one. Order matters. */
export function combine(a: number, b: number): number {
  return mix32(Math.imul(a ^ 0x9e3779b9, 0x2545f491) ^ b);
}

/** Maps a 32-bit hash onto [0, 1). */
export function unit(hash: number): number {
  return (hash >>> 0) / 4294967296;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedHash(seed: string | number): number {
  return hashString(`seed:${String(seed)}`);
}
