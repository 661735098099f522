/**
 * JSON and gzip-JSON bytes for the run's private state: page / verify checkpoints and the campaign
 * ledger. Decoding always validates with the caller's zod schema, so a corrupt or stale object fails
 * loudly with the field that is wrong instead of flowing on as `any`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type * as z from 'zod';
import { describeIssues } from './columns.ts';
import { LakeDecodeError } from './errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 JSON. */
export function encodeJson(value: unknown): Uint8Array {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('encodeJson: value has no JSON form');
  return encoder.encode(text);
}

/** Parse UTF-8 JSON and validate it; LakeDecodeError names the failing fields. */
export function decodeJson<T>(bytes: Uint8Array, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LakeDecodeError(`not valid UTF-8 JSON: ${reason}`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new LakeDecodeError(`unexpected JSON shape: ${describeIssues(result.error)}`);
  return result.data;
}

/** Gzip-compressed UTF-8 JSON (deterministic: Node writes no timestamp into the gzip header). */
export function encodeGzipJson(value: unknown): Uint8Array {
  return new Uint8Array(gzipSync(encodeJson(value)));
}

/** Gunzip, parse and validate. */
export function decodeGzipJson<T>(bytes: Uint8Array, schema: z.ZodType<T>): T {
  let plain: Uint8Array;
  try {
    plain = gunzipSync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LakeDecodeError(`not gzip data: ${reason}`);
  }
  return decodeJson(plain, schema);
}
