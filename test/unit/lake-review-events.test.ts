import { describe, expect, it } from 'vitest';
import type { ReviewEvent } from '#domain/review.ts';
import { LakeDecodeError } from '#lake/errors.ts';
import { decodeReviewEvents, encodeReviewEvents } from '#lake/review-events.ts';

const event: ReviewEvent = {
  campaign_id: 'acme',
  event_date: '2026-03-02',
  event_id: 'e-1',
  source: 'a.example',
  changed_at: '2026-03-02T09:30:00.000Z',
  changed_by: 'dana',
  origin: 'cli',
  from_state: 'to_review',
  to_state: 'approved',
  from_category: null,
  to_category: 'editorial',
  note: 'asked',
  outcome: 'applied',
  run_id: null,
  version: 1,
};
const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('review events in the lake', () => {
  it('writes the timestamp in the lake form and reads it back as ISO', () => {
    const bytes = encodeReviewEvents([event]);
    expect(new TextDecoder().decode(bytes)).toContain('"changed_at":"2026-03-02 09:30:00.000"');
    expect(decodeReviewEvents(bytes)).toEqual([event]);
  });

  it.each(['null', '5', '["a"]'])(
    'refuses a line that is JSON but not an object (%s) with a LakeDecodeError',
    (line) => {
      const bytes = bytesOf(`${new TextDecoder().decode(encodeReviewEvents([event]))}${line}\n`);
      expect(() => decodeReviewEvents(bytes)).toThrow(LakeDecodeError);
      expect(() => decodeReviewEvents(bytes)).toThrow(/^review event line 2 is not a JSON object$/);
    },
  );
});
