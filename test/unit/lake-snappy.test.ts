/**
 * The snapshot writer's Snappy compressor must give exactly the bytes of hyparquet-writer's built-in
 * one (files are compared byte for byte when a run resumes), on every shape of page it compresses.
 */
import { snappyCompress as writersOwn } from 'hyparquet-writer/src/snappy.js';
import { describe, expect, it } from 'vitest';
import { snappyCompress } from '#lake/snappy.ts';
// mulberry32, seeded: a failing case can be replayed.
import { prng } from '#simulator/hash.ts';

const random = prng(14);
const bytesOf = (length: number, byte: (index: number) => number) =>
  Uint8Array.from({ length }, (_, index) => byte(index));
const plainStrings = (count: number) =>
  new Uint8Array(
    Buffer.concat(
      Array.from({ length: count }, (_, index) => {
        const text = Buffer.from(`site-${(index * 7919).toString(36)}.example/${'p'.repeat(index % 9)}`);
        const length = Buffer.alloc(4);
        length.writeUInt32LE(text.length);
        return Buffer.concat([length, text]);
      }),
    ),
  );

const inputs: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one byte', bytesOf(1, () => 7)],
  ['shorter than the input margin', bytesOf(14, (index) => index)],
  ['just over the margin', bytesOf(16, () => 0)],
  [
    'random bytes (literals over 60, 256 and 65,536 bytes)',
    bytesOf(200_000, () => Math.floor(random() * 256)),
  ],
  ['one repeated byte (long copies)', bytesOf(100_000, () => 0x61)],
  ['a short cycle', bytesOf(5_000, (index) => index % 5)],
  ['PLAIN strings, as a data page holds them', plainStrings(40_000)],
  [
    'doubles',
    new Uint8Array(Float64Array.from({ length: 30_000 }, (_, index) => 1 + (index % 97) * 0.6).buffer),
  ],
  [
    'matches farther back than 64 KB',
    (() => {
      const block = bytesOf(70_000, () => Math.floor(random() * 256));
      return new Uint8Array(Buffer.concat([block, block.subarray(0, 3000), block]));
    })(),
  ],
  ['a view into a larger buffer', plainStrings(2_000).subarray(13, 9_000)],
];

describe('snappyCompress', () => {
  it.each(inputs)("gives the bytes of hyparquet-writer's own compressor: %s", (_, input) => {
    expect(Buffer.from(snappyCompress(input)).equals(Buffer.from(writersOwn(input)))).toBe(true);
  });

  it('gives the same bytes on many random mixes of runs and noise', () => {
    for (let round = 0; round < 200; round++) {
      const length = Math.floor(random() * 3000);
      const alphabet = 1 + Math.floor(random() * 255);
      const runEvery = 1 + Math.floor(random() * 40);
      const input = bytesOf(length, (index) =>
        index % runEvery < runEvery / 2 ? 0 : Math.floor(random() * alphabet),
      );
      expect(Buffer.from(snappyCompress(input)).equals(Buffer.from(writersOwn(input)))).toBe(true);
    }
  });
});
