/**
 * Snappy compression giving exactly the bytes of hyparquet-writer 0.17's built-in `snappyCompress` (the
 * same one-block algorithm: hash table sized to the input, the same skip heuristic, literals and copies
 * emitted alike), written straight into one buffer of Snappy's worst-case size instead of through a
 * ByteWriter's bounds check and DataView call per byte. Handed to the writer as its SNAPPY compressor:
 * compression was ≈ 10 % of a snapshot write (bench/README.md 4b, third pass), and a file's bytes must
 * not change (test/unit/lake-snappy.test.ts compares the two on many inputs).
 */

const MAX_HASH_TABLE_BITS = 14;
const MAX_OFFSET = 0xffff;
const INPUT_MARGIN = 15;
const hashTables: (Uint32Array | undefined)[] = [];

const hashOf = (key: number, shift: number): number => Math.imul(key, 0x1e35a7bd) >>> shift;

// Out-of-range reads give undefined (NaN in the sum, 0 once hashed) exactly as in the writer's copy.
const load32 = (input: Uint8Array, at: number): number =>
  (input[at] as number) +
  ((input[at + 1] as number) << 8) +
  ((input[at + 2] as number) << 16) +
  ((input[at + 3] as number) << 24);

const equals32 = (input: Uint8Array, a: number, b: number): boolean =>
  input[a] === input[b] &&
  input[a + 1] === input[b + 1] &&
  input[a + 2] === input[b + 2] &&
  input[a + 3] === input[b + 3];

/** Snappy's raw format (no framing) of `input`. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  // Snappy's bound on the compressed size: 32 + n + n / 6 (the length header included).
  const out = new Uint8Array(32 + input.length + Math.ceil(input.length / 6));
  let op = 0;
  let length = input.length;
  while ((length & ~0x7f) !== 0) {
    out[op++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  out[op++] = length;

  const emitLiteral = (from: number, count: number) => {
    if (count <= 60) out[op++] = (count - 1) << 2;
    else {
      const value = count - 1;
      const bytes = value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;
      out[op++] = (59 + bytes) << 2;
      for (let i = 0; i < bytes; i++) out[op++] = (value >>> (i * 8)) & 0xff;
    }
    if (count < 64) for (let i = 0; i < count; i++) out[op++] = input[from + i] as number;
    else {
      out.set(input.subarray(from, from + count), op);
      op += count;
    }
  };
  const emitCopyUpTo64 = (offset: number, count: number) => {
    if (count < 12 && offset < 2048) {
      out[op++] = 1 + ((count - 4) << 2) + ((offset >>> 8) << 5);
      out[op++] = offset & 0xff;
    } else {
      out[op++] = 2 + ((count - 1) << 2);
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
    }
  };
  const emitCopy = (offset: number, count: number) => {
    let left = count;
    while (left >= 68) {
      emitCopyUpTo64(offset, 64);
      left -= 64;
    }
    if (left > 64) {
      emitCopyUpTo64(offset, 60);
      left -= 60;
    }
    emitCopyUpTo64(offset, left);
  };

  const inputSize = input.length;
  let bits = 1;
  while (1 << bits <= inputSize && bits <= MAX_HASH_TABLE_BITS) bits++;
  bits--;
  const shift = 32 - bits;
  let table = hashTables[bits];
  if (table === undefined) {
    table = new Uint32Array(1 << bits);
    hashTables[bits] = table;
  }
  table.fill(0);

  let nextEmit = 0;
  if (inputSize >= INPUT_MARGIN) {
    const ipLimit = inputSize - INPUT_MARGIN;
    let ip = 1;
    let nextHash = hashOf(load32(input, ip), shift);
    let going = true;
    while (going) {
      let skip = 32;
      let nextIp = ip;
      let candidate = 0;
      do {
        ip = nextIp;
        const hash = nextHash;
        const bytesBetweenHashLookups = skip >>> 5;
        skip++;
        nextIp = ip + bytesBetweenHashLookups;
        if (ip > ipLimit) {
          going = false;
          break;
        }
        nextHash = hashOf(load32(input, nextIp), shift);
        candidate = table[hash] as number;
        table[hash] = ip;
      } while (ip - candidate > MAX_OFFSET || !equals32(input, ip, candidate));
      if (!going) break;

      emitLiteral(nextEmit, ip - nextEmit);
      do {
        const base = ip;
        let matched = 4;
        while (ip + matched < inputSize && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        emitCopy(base - candidate, matched);
        nextEmit = ip;
        if (ip >= ipLimit) {
          going = false;
          break;
        }
        table[hashOf(load32(input, ip - 1), shift)] = ip - 1;
        const current = hashOf(load32(input, ip), shift);
        candidate = table[current] as number;
        table[current] = ip;
      } while (ip - candidate <= MAX_OFFSET && equals32(input, ip, candidate));
      if (!going) break;
      ip++;
      nextHash = hashOf(load32(input, ip), shift);
    }
  }
  if (nextEmit < inputSize) emitLiteral(nextEmit, inputSize - nextEmit);
  return out.subarray(0, op);
}
