import * as z from 'zod';
import { SortOrder, targetLimitIssue } from '#domain/campaign.ts';
import { SourceScope, TargetScope } from '#domain/targets.ts';

/*
 * Two families of schemas live here:
 * - the client's own vocabulary (camelCase: IntersectQuery, IntersectRow, ...), which callers use;
 * - the Moz v2 wire format (snake_case, `Raw…`), parsed tolerantly: unknown extra fields are kept out
 *   of the way (z.looseObject), and every variant that moz-api.md marks UNCONFIRMED is accepted.
 */

// ---------------------------------------------------------------- client vocabulary

export { MozCredentials } from '#domain/credentials.ts';

export const TargetSchema = z.object({ target: z.string().min(1), scope: TargetScope });

// Moz's limits and row weights (moz-api.md sections 2 and 4, CONFIRMED) live with the budget arithmetic.
export {
  INTERSECT_ROW_WEIGHT,
  LINK_STATUS_ROW_WEIGHT,
  MAX_INTERSECT_PAGE as MAX_INTERSECT_LIMIT,
  MAX_LINK_STATUS_BATCH,
} from '#domain/budget.ts';

export const IntersectQuery = z
  .object({
    positiveTargets: z.array(TargetSchema).min(1, 'at least one positive target is required'),
    negativeTargets: z.array(TargetSchema),
    minMatchingTargets: z.number().int().min(1).optional(),
    sourceScope: SourceScope,
    sort: SortOrder.optional(),
  })
  .superRefine((query, ctx) => {
    const tooMany = targetLimitIssue(query.positiveTargets.length + query.negativeTargets.length);
    if (tooMany !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['negativeTargets'], message: `positive + negative: ${tooMany}` });
    }
    if (query.minMatchingTargets !== undefined && query.minMatchingTargets > query.positiveTargets.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['minMatchingTargets'],
        message: `must be at most the number of positive targets (${query.positiveTargets.length})`,
      });
    }
  });
export type IntersectQuery = z.infer<typeof IntersectQuery>;

export const SourcePage = z.object({ page: z.string(), pageAuthority: z.number() });
export type SourcePage = z.infer<typeof SourcePage>;

export const IntersectRow = z.object({
  /** Page URL or root domain exactly as Moz returns it (no scheme). */
  source: z.string().min(1),
  title: z.string(),
  domainAuthority: z.number(),
  /** Moz's -1 ("not scored") becomes null. */
  spamScore: z.number().nullable(),
  /** Max of `matching_source_pages[].page_authority` when Moz sends them (root_domain scope). */
  pageAuthority: z.number().nullable(),
  matchingTargetIndexes: z.array(z.number().int().min(0)),
  sourcePages: z.array(SourcePage),
});
export type IntersectRow = z.infer<typeof IntersectRow>;

export const LinkStatusRequest = z.object({
  target: z.string().min(1),
  targetScope: TargetScope,
  sourceScope: TargetScope,
  sources: z.array(z.string().min(1)),
});
export type LinkStatusRequest = z.infer<typeof LinkStatusRequest>;

// ---------------------------------------------------------------- Moz v2 wire format

/** The body POSTed to /v2/link_intersect. Absent optional fields are omitted, never sent as null. */
export interface RawIntersectRequest {
  positive_targets: { target: string; scope: TargetScope }[];
  negative_targets?: { target: string; scope: TargetScope }[];
  min_matching_targets?: number;
  source_scope: SourceScope;
  sort?: SortOrder;
  limit: number;
  next_token?: string;
}

const RawSourcePage = z
  .looseObject({
    page: z.string().optional(),
    url: z.string().optional(),
    page_authority: z.number(),
  })
  .refine((p) => p.page !== undefined || p.url !== undefined, { message: 'needs a "page" (or "url") field' });

/**
 * One intersect row. The source key is `page` (CONFIRMED for page scope); `root_domain` and `url` are
 * accepted because the root_domain-scope shape is UNCONFIRMED for v2.
 */
export const RawIntersectRow = z
  .looseObject({
    page: z.string().optional(),
    root_domain: z.string().optional(),
    url: z.string().optional(),
    title: z.string().nullish(),
    domain_authority: z.number(),
    spam_score: z.number().nullish(),
    // Range and integrality are checked per row (rows.ts), so one odd index drops a row, not the page.
    matching_target_indexes: z.array(z.number()),
    matching_source_pages: z.array(RawSourcePage).nullish(),
    matching_source_urls: z.array(RawSourcePage).nullish(),
  })
  .superRefine((row, ctx) => {
    const source = row.page ?? row.root_domain ?? row.url;
    if (source === undefined || source.trim() === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['page'],
        message: 'row has no source ("page", "root_domain" or "url")',
      });
    }
  });
export type RawIntersectRow = z.infer<typeof RawIntersectRow>;

/** `next_token` absent, "" and null all mean "last page" (UNCONFIRMED which one v2 uses). */
export const RawIntersectResponse = z
  .looseObject({
    results: z.array(RawIntersectRow).optional(),
    link_intersects: z.array(RawIntersectRow).optional(),
    next_token: z.string().nullish(),
  })
  .superRefine((body, ctx) => {
    if (body.results === undefined && body.link_intersects === undefined) {
      ctx.addIssue({ code: 'custom', path: ['results'], message: 'missing "results" array' });
    }
  });
export type RawIntersectResponse = z.infer<typeof RawIntersectResponse>;

export const RawLinkStatusResponse = z.looseObject({ exists: z.array(z.boolean()) });

/** `rows_consumed` is a number in the captured response; a numeric string is tolerated. */
export const RawUsageDataResponse = z.looseObject({
  rows_consumed: z.union([z.number().int().min(0), z.string().regex(/^\d+$/).transform(Number)]),
});

/** Error bodies: `{message}` (v2 clients), `{status, error_message}` (v1 style) or `{error: {message}}` (v3 style). */
export const RawErrorBody = z.looseObject({
  message: z.unknown().optional(),
  error_message: z.unknown().optional(),
  error: z.unknown().optional(),
});
