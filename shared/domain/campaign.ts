import { createHash } from 'node:crypto';
import * as z from 'zod';
import { BIDI_CONTROL, CONTROL_CHARACTER, LINE_SEPARATOR } from './printable.ts';
import { normalizeTarget, rootDomainOf, SourceScope, TargetError, TargetScope } from './targets.ts';

/** Moz allows at most 6 targets in positive_targets and negative_targets combined. */
export const MAX_TARGETS = 6;

/**
 * The one 6-target rule, checked where a campaign is written and again at the Moz client boundary:
 * a sentence saying what is wrong, or undefined when `total` targets are allowed.
 */
export function targetLimitIssue(total: number): string | undefined {
  return total > MAX_TARGETS ? `${total} targets in all; Moz allows at most ${MAX_TARGETS}` : undefined;
}
export const DEFAULT_MAX_ROWS_PER_RUN = 5000;

/** Moz's `sort` for Link Intersect (always descending); the campaign and the Moz client share it. */
export const SortOrder = z.enum(['matching_target_count', 'source_spam_score', 'source_domain_authority']);
export type SortOrder = z.infer<typeof SortOrder>;

const Weekday = z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);

export const Schedule = z.discriminatedUnion('every', [
  z.strictObject({
    every: z.literal('month'),
    /** Day of the month the run is due; capped at 28 so every month has it. */
    day: z.number().int().min(1).max(28).default(1),
  }),
  z.strictObject({ every: z.literal('week'), weekday: Weekday.default('monday') }),
]);
export type Schedule = z.infer<typeof Schedule>;

const TargetInput = z.strictObject({
  target: z.string().max(2048, 'must be at most 2048 characters'),
  scope: TargetScope.default('root_domain'),
});

const NormalizedTarget = TargetInput.transform((value, ctx) => {
  try {
    return { target: normalizeTarget(value.target, value.scope), scope: value.scope };
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    ctx.addIssue({ code: 'custom', path: ['target'], message: error.message });
    return z.NEVER;
  }
});

/**
 * An ignore entry keeps its host (lower case, punycode, no scheme, path or port) and a leading `www.`
 * is dropped, as a browser-copied `https://www.spam.example/` means that site. It is never widened to
 * the registrable domain: `sub.foo.example` must not ignore `other.foo.example` (ignoreMatcher covers
 * the host and its subdomains). Entries stored as root domains parse to themselves.
 */
const IgnoreEntry = z
  .string()
  .max(253, 'must be at most 253 characters')
  .transform((value, ctx) => {
    try {
      const host = normalizeTarget(value, 'subdomain');
      const withoutWww = host.replace(/^www\./, '');
      return withoutWww.includes('.') ? withoutWww : host;
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  });

export const CampaignSchema = z
  .strictObject({
    id: z
      .string()
      .regex(
        /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/,
        'must be 1-64 lower-case letters, digits or dashes (it is used in S3 keys and Athena partitions)',
      ),
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      // The name is shown in terminals, the report and the digest: an ESC or BEL could drive a
      // terminal, a bidi override (U+202E) reverses what the reader sees.
      // U+2028/U+2029 break lines too, and an Arabic letter mark (U+061C) is a bidi control.
      .refine(
        (name) => !CONTROL_CHARACTER.test(name) && !LINE_SEPARATOR.test(name) && !BIDI_CONTROL.test(name),
        'must not contain control characters (ESC, BEL, line breaks, U+2028, U+2029) or bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)',
      )
      .optional(),
    site: z.array(NormalizedTarget).min(1, 'needs at least one target (your own site)'),
    competitors: z.array(NormalizedTarget).min(1, 'needs at least one competitor target'),
    minMatchingTargets: z.number().int().min(1).default(1),
    sourceScope: SourceScope.default('root_domain'),
    sort: SortOrder.default('source_domain_authority'),
    maxRowsPerRun: z
      .number()
      .int()
      .min(5, 'must be at least 5 (one Link Intersect row costs 5 rows)')
      .max(100_000_000)
      .default(DEFAULT_MAX_ROWS_PER_RUN),
    verifyDepartures: z.boolean().default(true),
    schedule: Schedule.default({ every: 'month', day: 1 }),
    ignore: z.array(IgnoreEntry).max(10_000).default([]),
    enabled: z.boolean().default(true),
    /**
     * The Secrets Manager secret holding this campaign's Slack-compatible webhook URL (AWS; the
     * runner may read secrets under `<prefix>/webhook/`). Not part of the config hash.
     */
    digestWebhookSecret: z
      .string()
      .regex(
        /^[A-Za-z0-9/_+=.@-]{1,512}$/,
        'must be a Secrets Manager secret name, e.g. linkgap/webhook/team',
      )
      .optional(),
  })
  .superRefine((campaign, ctx) => {
    const tooMany = targetLimitIssue(campaign.site.length + campaign.competitors.length);
    if (tooMany !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['competitors'], message: `site and competitors: ${tooMany}` });
    }
    if (campaign.minMatchingTargets > campaign.competitors.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['minMatchingTargets'],
        message: `is ${campaign.minMatchingTargets} but there are only ${campaign.competitors.length} competitors`,
      });
    }
    const siteRoots = new Set(campaign.site.map((site) => rootDomainOf(site.target)));
    campaign.competitors.forEach((competitor, index) => {
      const root = rootDomainOf(competitor.target);
      if (siteRoots.has(root)) {
        ctx.addIssue({
          code: 'custom',
          path: ['competitors', index, 'target'],
          message: `${competitor.target} is on the campaign's own site (${root}); a site cannot be its own competitor`,
        });
      }
    });
    const seen = new Set<string>();
    campaign.competitors.forEach((competitor, index) => {
      const key = `${competitor.scope}:${competitor.target}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['competitors', index, 'target'],
          message: `${competitor.target} is listed twice`,
        });
      }
      seen.add(key);
    });
  });

/** A validated, normalized campaign. */
export type Campaign = z.infer<typeof CampaignSchema>;
/** What a person writes: defaults may be left out. */
export type CampaignInput = z.input<typeof CampaignSchema>;

export interface FieldIssue {
  field: string;
  message: string;
}

/** A campaign config that cannot be made valid. The message names every offending field. */
export class CampaignValidationError extends Error {
  override name = 'CampaignValidationError';
  constructor(
    readonly campaignId: string | undefined,
    readonly issues: FieldIssue[],
  ) {
    const subject = campaignId ? `campaign "${campaignId}"` : 'campaign';
    super(`Invalid ${subject}: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`);
  }
}

/** Validates and normalizes a campaign, throwing {@link CampaignValidationError} naming each bad field. */
export function parseCampaign(input: unknown): Campaign {
  const result = CampaignSchema.safeParse(input);
  if (result.success) return result.data;
  const id =
    typeof input === 'object' && input !== null && typeof (input as { id?: unknown }).id === 'string'
      ? ((input as { id: string }).id.slice(0, 64) as string)
      : undefined;
  throw new CampaignValidationError(id, result.error.issues.map(toFieldIssue));
}

function toFieldIssue(issue: z.core.$ZodIssue): FieldIssue {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => (field ? `${field}.${key}` : key));
    return {
      field: keys.join(', '),
      message: 'unknown field (check the spelling against the campaign schema)',
    };
  }
  return { field: field || '(campaign)', message: issue.message };
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text ? `${text}.${String(key)}` : String(key);
  }, '');
}

/**
 * A stable hash of what defines a gap list: targets, scopes, threshold, source scope and sort.
 * Target order does not matter. Runs are only diffed against runs with the same hash.
 */
export function configHash(campaign: Campaign): string {
  const byKey = (a: { target: string; scope: string }, b: { target: string; scope: string }) =>
    `${a.scope}:${a.target}`.localeCompare(`${b.scope}:${b.target}`);
  const canonical = JSON.stringify({
    site: [...campaign.site].sort(byKey),
    competitors: [...campaign.competitors].sort(byKey),
    minMatchingTargets: campaign.minMatchingTargets,
    sourceScope: campaign.sourceScope,
    sort: campaign.sort,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
