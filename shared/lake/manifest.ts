/**
 * The run manifest: one JSON object on one line (Athena's JSON SerDe reads one record per line),
 * keys in RUN_COLUMNS order, timestamps as 'YYYY-MM-DD HH:MM:SS.sss' UTC, which both Athena's
 * `timestamp` and DuckDB's read_json parse. In memory, timestamps are ISO-8601 UTC (schema.ts).
 */
import { lazySchema } from '#domain/lazy-schema.ts';
import { describeIssues, fromLakeRecord, rowSchemaOf, toLakeRecord } from './columns.ts';
import { LakeDecodeError, LakeEncodeError } from './errors.ts';
import { RUN_COLUMNS, type RunManifest } from './schema.ts';

/** zod schema of a manifest in memory, generated from RUN_COLUMNS (exactly its keys, strict). */
export const RunManifestSchema = lazySchema(() => rowSchemaOf(RUN_COLUMNS));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** One line of JSON plus '\n'. Throws LakeEncodeError when the manifest does not fit the contract. */
export function encodeManifest(manifest: RunManifest): Uint8Array {
  const result = RunManifestSchema.safeParse(manifest);
  if (!result.success)
    throw new LakeEncodeError(`run manifest does not fit the lake contract: ${describeIssues(result.error)}`);
  return encoder.encode(`${JSON.stringify(toLakeRecord(RUN_COLUMNS, result.data))}\n`);
}

/** Parse and validate a manifest file; timestamps come back as ISO-8601 UTC. */
export function decodeManifest(bytes: Uint8Array): RunManifest {
  let parsed: unknown;
  try {
    const lines = decoder
      .decode(bytes)
      .split('\n')
      .filter((line) => line.trim() !== '');
    if (lines.length !== 1) throw new Error(`expected one JSON line, found ${lines.length}`);
    parsed = JSON.parse(lines[0] as string);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LakeDecodeError(`run manifest is not one line of JSON: ${reason}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LakeDecodeError('run manifest is not a JSON object');
  }
  const result = RunManifestSchema.safeParse(fromLakeRecord(RUN_COLUMNS, parsed));
  if (!result.success)
    throw new LakeDecodeError(`run manifest does not fit the lake contract: ${describeIssues(result.error)}`);
  return result.data as RunManifest;
}
