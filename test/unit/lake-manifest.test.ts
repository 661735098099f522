import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { LakeDecodeError, LakeEncodeError } from '#lake/errors.ts';
import { decodeGzipJson, decodeJson, encodeGzipJson, encodeJson } from '#lake/json.ts';
import { decodeManifest, encodeManifest, RunManifestSchema } from '#lake/manifest.ts';
import { RUN_COLUMNS, type RunManifest } from '#lake/schema.ts';

function aRunManifest(overrides: Partial<RunManifest> = {}): RunManifest {
  return {
    run_id: '01HQZ8J5K2M3N4P5Q6R7S8T9V0',
    campaign_id: 'acme-trail-shoes',
    run_date: '2024-03-01',
    config_hash: 'c0ffee',
    previous_run_id: '01HN000000000000000000000A',
    baseline: false,
    status: 'SUCCEEDED',
    truncated: false,
    pages: 3,
    requests: 4,
    retries: 1,
    rows_consumed: 1520,
    rows_consumed_intersect: 1500,
    rows_consumed_link_status: 20,
    rows_possibly_metered_on_failures: 0,
    max_rows_per_run: 5000,
    gap_size: 300,
    new_count: 20,
    persisting_count: 275,
    reopened_count: 5,
    closed_count: 4,
    lost_count: 5,
    unverified_count: 1,
    previous_gap_size: 290,
    closure_rate: 4 / 290,
    started_at: '2024-03-01T03:00:00.000Z',
    finished_at: '2024-03-01T03:04:05.678Z',
    moz_base_url: 'https://lsapi.seomoz.com/v2',
    software_version: '0.1.0',
    ...overrides,
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const encode = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value)}\n`);

describe('RunManifestSchema', () => {
  it('has exactly the RUN_COLUMNS names, in order', () => {
    expect(Object.keys(RunManifestSchema.shape)).toEqual(RUN_COLUMNS.map((column) => column.name));
  });
});

describe('encodeManifest', () => {
  it('writes one line of JSON ending in a newline', () => {
    const out = text(encodeManifest(aRunManifest({ config_hash: 'has\nnewline' })));
    expect(out.endsWith('\n')).toBe(true);
    expect(out.slice(0, -1)).not.toContain('\n');
  });

  it('writes keys in RUN_COLUMNS order whatever the input order', () => {
    const reversed = Object.fromEntries(Object.entries(aRunManifest()).reverse()) as RunManifest;
    expect(Object.keys(JSON.parse(text(encodeManifest(reversed))))).toEqual(
      RUN_COLUMNS.map((column) => column.name),
    );
  });

  it("writes timestamps as 'YYYY-MM-DD HH:MM:SS.sss' UTC", () => {
    const record = JSON.parse(text(encodeManifest(aRunManifest())));
    expect(record.started_at).toBe('2024-03-01 03:00:00.000');
    expect(record.finished_at).toBe('2024-03-01 03:04:05.678');
  });

  it('writes nulls explicitly for a baseline', () => {
    const record = JSON.parse(
      text(
        encodeManifest(
          aRunManifest({
            baseline: true,
            previous_run_id: null,
            previous_gap_size: null,
            closure_rate: null,
          }),
        ),
      ),
    );
    expect(record).toMatchObject({ previous_run_id: null, previous_gap_size: null, closure_rate: null });
  });

  it.each([
    ['a non-integer count', { gap_size: 1.5 }],
    ['an int beyond INT32', { pages: 2 ** 31 }],
    ['a timestamp that is not ISO UTC', { started_at: 'yesterday' }],
    ['a null in a required column', { config_hash: null as unknown as string }],
  ])('rejects %s', (_what, overrides) => {
    expect(() => encodeManifest(aRunManifest(overrides))).toThrow(LakeEncodeError);
  });

  it('rejects unknown keys', () => {
    expect(() => encodeManifest({ ...aRunManifest(), extra: 1 } as RunManifest)).toThrow(/extra/);
  });
});

describe('decodeManifest', () => {
  it('round-trips, timestamps back to ISO', () => {
    const manifest = aRunManifest();
    expect(decodeManifest(encodeManifest(manifest))).toEqual(manifest);
  });

  it('round-trips a baseline with nulls', () => {
    const manifest = aRunManifest({
      baseline: true,
      previous_run_id: null,
      previous_gap_size: null,
      closure_rate: null,
    });
    expect(decodeManifest(encodeManifest(manifest))).toEqual(manifest);
  });

  it('accepts ISO timestamps too', () => {
    expect(decodeManifest(encode(aRunManifest())).started_at).toBe('2024-03-01T03:00:00.000Z');
  });

  it.each([
    ['not JSON', new TextEncoder().encode('{oops'), /not one line of JSON/],
    ['two lines', new TextEncoder().encode('{}\n{}\n'), /one JSON line, found 2/],
    ['an array', encode([1]), /not a JSON object/],
    ['a missing column', encode({ ...aRunManifest(), gap_size: undefined }), /gap_size/],
    ['a wrong type', encode({ ...aRunManifest(), truncated: 'no' }), /truncated/],
    ['a bad timestamp', encode({ ...aRunManifest(), finished_at: '2024-03-01 25:00:00.000' }), /finished_at/],
  ])('rejects %s with a clear error', (_what, bytes, message) => {
    expect(() => decodeManifest(bytes)).toThrow(LakeDecodeError);
    expect(() => decodeManifest(bytes)).toThrow(message);
  });
});

describe('json and gzip json', () => {
  const Checkpoint = z.strictObject({
    page: z.number().int(),
    next: z.string().nullable(),
    rows: z.array(z.string()),
  });
  const checkpoint = { page: 2, next: 'tok', rows: ['münchen.example', 'xn--mnchen-3ya.example'] };

  it('round-trips JSON', () => {
    expect(decodeJson(encodeJson(checkpoint), Checkpoint)).toEqual(checkpoint);
  });

  it('round-trips gzip JSON, deterministically', () => {
    const bytes = encodeGzipJson(checkpoint);
    expect(bytes[0]).toBe(0x1f);
    expect(bytes[1]).toBe(0x8b);
    expect(encodeGzipJson(checkpoint)).toEqual(bytes);
    expect(decodeGzipJson(bytes, Checkpoint)).toEqual(checkpoint);
  });

  it.each([
    ['bad JSON', () => decodeJson(new TextEncoder().encode('nope'), Checkpoint), /not valid UTF-8 JSON/],
    ['the wrong shape', () => decodeJson(encodeJson({ page: 'x' }), Checkpoint), /page/],
    ['not gzip', () => decodeGzipJson(encodeJson(checkpoint), Checkpoint), /not gzip/],
  ])('rejects %s', (_what, decode, message) => {
    expect(decode).toThrow(LakeDecodeError);
    expect(decode).toThrow(message);
  });
});
