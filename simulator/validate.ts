// Request validation for the simulated v2 endpoints. Every 400 message starts
// with the path of the offending field, e.g. "positive_targets[1].scope: ...".
import * as z from 'zod';

export const TARGET_SCOPES = ['page', 'subdomain', 'root_domain'] as const;
export const INTERSECT_SOURCE_SCOPES = ['page', 'root_domain'] as const;
export const SORTS = ['matching_target_count', 'source_spam_score', 'source_domain_authority'] as const;
export type TargetScope = (typeof TARGET_SCOPES)[number];
export type IntersectSourceScope = (typeof INTERSECT_SOURCE_SCOPES)[number];
export type SortKey = (typeof SORTS)[number];

// The simulator stands in for Moz, so it keeps Moz's own copy of the 6-target rule (and of the sort
// values) on purpose: sharing the client's would let a client bug pass its own stand-in unnoticed.
const MAX_TARGETS = 6;
const ASCII = /^[\x21-\x7e]+$/;
const NON_ASCII_MESSAGE = 'must be ASCII; encode IDN hosts as punycode and percent-encode paths';

function required(otherwise: string) {
  return (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : otherwise);
}

function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: required(`must be one of ${values.join(', ')}`) });
}

const urlString = z
  .string({ error: required('must be a string') })
  .min(1, 'must not be empty')
  .refine((value) => [...value].every((ch) => (ch.codePointAt(0) ?? 0) < 128), NON_ASCII_MESSAGE)
  .refine((value) => ASCII.test(value), 'must not contain spaces or control characters');

const targetSchema = z.object(
  { target: urlString, scope: enumOf(TARGET_SCOPES) },
  { error: 'must be an object with target and scope' },
);

function intBetween(min: number, max: number) {
  const message = `must be an integer between ${min} and ${max}`;
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
}

export const intersectRequestSchema = z
  .object({
    positive_targets: z
      .array(targetSchema, {
        error: (issue) =>
          issue.input === undefined
            ? 'at least one target is required'
            : 'must be an array of {target, scope} objects',
      })
      .min(1, 'at least one target is required'),
    negative_targets: z
      .array(targetSchema, { error: 'must be an array of {target, scope} objects' })
      .nullish()
      .transform((value) => value ?? []),
    min_matching_targets: z.number({ error: 'must be an integer' }).int('must be an integer').nullish(),
    source_scope: enumOf(INTERSECT_SOURCE_SCOPES)
      .nullish()
      .transform((value) => value ?? 'page'),
    sort: enumOf(SORTS)
      .nullish()
      .transform((value) => value ?? 'matching_target_count'),
    limit: intBetween(1, 50)
      .nullish()
      .transform((value) => value ?? 25),
    next_token: z.string({ error: 'must be a string' }).nullish(),
  })
  .superRefine((body, ctx) => {
    if (body.positive_targets.length + body.negative_targets.length > MAX_TARGETS) {
      ctx.addIssue({
        code: 'custom',
        path: ['positive_targets + negative_targets'],
        message: `at most ${MAX_TARGETS} targets combined`,
      });
    }
    const min = body.min_matching_targets;
    if (min !== null && min !== undefined && (min < 1 || min > body.positive_targets.length)) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_matching_targets'],
        message: `must be between 1 and the number of positive targets (${body.positive_targets.length})`,
      });
    }
  });
export type IntersectRequest = z.infer<typeof intersectRequestSchema>;

export const linkStatusRequestSchema = z.object({
  target: urlString,
  sources: z
    .array(urlString, { error: required('must be an array of strings') })
    .min(1, 'must contain between 1 and 50 sources')
    .max(50, 'must contain between 1 and 50 sources'),
  source_scope: enumOf(TARGET_SCOPES)
    .nullish()
    .transform((value) => value ?? 'page'),
  target_scope: enumOf(TARGET_SCOPES)
    .nullish()
    .transform((value) => value ?? 'page'),
});
export type LinkStatusRequest = z.infer<typeof linkStatusRequestSchema>;

const unixSeconds = z.string({ error: 'must be an integer string (unix seconds)' }).regex(/^\d+$/, {
  error: 'must be an integer string (unix seconds)',
});
export const usageRequestSchema = z
  .object({ start: unixSeconds.nullish(), end: unixSeconds.nullish() })
  .superRefine((body, ctx) => {
    if (body.start != null && body.end != null && Number(body.start) >= Number(body.end)) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'must be earlier than end' });
    }
  });

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? 'body' : out;
}

export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
}

/** Parses `body` with `schema`; throws RequestValidationError with a "field: problem" message. */
export function parseOrThrow<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestValidationError('body: must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new RequestValidationError(
    issue ? `${formatPath(issue.path)}: ${issue.message}` : 'body: invalid request',
  );
}
