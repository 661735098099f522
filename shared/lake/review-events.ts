/**
 * Review events in the lake: JSON lines (one event per line, keys in REVIEW_EVENT_COLUMNS order,
 * timestamps as 'YYYY-MM-DD HH:MM:SS.sss' UTC like the run manifests, which Athena's JSON SerDe and
 * DuckDB's read_json both parse). One object per event, written once under reviewEventKey.
 */
import { type ReviewEvent, ReviewEventSchema } from '#domain/review.ts';
import { describeIssues, fromLakeRecord, toLakeRecord } from './columns.ts';
import { LakeDecodeError, LakeEncodeError } from './errors.ts';
import { REVIEW_EVENT_COLUMNS } from './schema.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeReviewEvents(events: readonly ReviewEvent[]): Uint8Array {
  const lines = events.map((event) => {
    const result = ReviewEventSchema.safeParse(event);
    if (!result.success)
      throw new LakeEncodeError(
        `review event does not fit the lake contract: ${describeIssues(result.error)}`,
      );
    return `${JSON.stringify(toLakeRecord(REVIEW_EVENT_COLUMNS, result.data))}\n`;
  });
  return encoder.encode(lines.join(''));
}

export function decodeReviewEvents(bytes: Uint8Array): ReviewEvent[] {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new LakeDecodeError('review events are not UTF-8');
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error) {
        throw new LakeDecodeError(`review event line ${index + 1} is not JSON: ${(error as Error).message}`);
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record))
        throw new LakeDecodeError(`review event line ${index + 1} is not a JSON object`);
      const result = ReviewEventSchema.safeParse(fromLakeRecord(REVIEW_EVENT_COLUMNS, record));
      if (!result.success)
        throw new LakeDecodeError(`review event line ${index + 1}: ${describeIssues(result.error)}`);
      return result.data;
    });
}
