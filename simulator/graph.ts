// The deterministic, month-aware link graph behind the simulator.
//
// A link between a source root domain and a target root domain exists
// "potentially" with a probability that rises with the source's DA and the
// target's popularity (both from hashes), and is alive between a hashed birth
// month and an optional hashed death month. Narrower target scopes are subsets:
// a source links to subdomain `blog.x.com` only if it links to `x.com` and a
// further hash says so (~1/2), and to a page only with another hash (~1/5 of
// that). Pages of a source inherit the root's links through a per-page
// selection hash, so every level stays consistent.
import { combine, hashString, mix32, seedHash, unit } from './hash.ts';
import { getUniverse, pageHash, pageHostOf, renderPages, type Universe } from './universe.ts';
import {
  type IntersectRequest,
  intersectRequestSchema,
  parseOrThrow,
  type SortKey,
  type TargetScope,
} from './validate.ts';

export interface SourcePageOut {
  page: string;
  page_authority: number;
}

export interface IntersectRowOut {
  page: string;
  title: string;
  domain_authority: number;
  spam_score: number;
  matching_target_indexes: number[];
  /** Only when source_scope is root_domain. */
  matching_source_pages?: SourcePageOut[];
}

export interface GroundTruth {
  /** Every row the API would return for this v2 request body across all pages, in API order. */
  intersect(body: unknown, month?: string): IntersectRowOut[];
  /** Does `source` (at sourceScope) link to `target` (at targetScope) in `month`? Scopes default to root_domain. */
  linksTo(
    source: string,
    target: string,
    opts?: { sourceScope?: TargetScope; targetScope?: TargetScope; month?: string },
  ): boolean;
}

// ---------------------------------------------------------------- months

const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(value: string): boolean {
  return MONTH_RE.test(value);
}

/** Months since 2024-01 (2026-01 is 24). */
export function monthIndex(month: string): number {
  const match = MONTH_RE.exec(month);
  if (!match) throw new RangeError(`month: must be YYYY-MM, got ${JSON.stringify(month)}`);
  return (Number(match[1]) - 2024) * 12 + (Number(match[2]) - 1);
}

export function monthFromIndex(index: number): string {
  const year = 2024 + Math.floor(index / 12);
  const month = (((index % 12) + 12) % 12) + 1;
  return `${year}-${String(month).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- targets

const SECOND_LEVEL = new Set(['co', 'com', 'org', 'net', 'ac', 'gov', 'edu', 'ne', 'or', 'ltd', 'plc']);

/** A small stand-in for the public suffix list: enough for .co.uk, .com.au and friends. */
export function registrableDomain(host: string): string {
  const labels = host.split('.').filter((label) => label.length > 0);
  if (labels.length <= 2) return labels.join('.');
  const tld = labels[labels.length - 1] ?? '';
  const second = labels[labels.length - 2] ?? '';
  const take = tld.length === 2 && SECOND_LEVEL.has(second) ? 3 : 2;
  return labels.slice(-take).join('.');
}

/** Lowercases, drops the scheme, query/fragment-free trailing slash, and port. */
export function stripUrl(raw: string): { host: string; path: string } {
  let text = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  text = text.replace(/\/+$/, '');
  const slash = text.indexOf('/');
  const hostPart = (slash === -1 ? text : text.slice(0, slash)).toLowerCase().replace(/:\d+$/, '');
  const path = slash === -1 ? '' : text.slice(slash);
  return { host: hostPart.replace(/\.$/, ''), path };
}

function stripWww(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}

export interface NormalizedTarget {
  scope: TargetScope;
  /** Canonical key at the requested scope. */
  key: string;
  rootKey: string;
  rootHash: number;
  /** Hash for the subdomain condition (0 when scope is root_domain). */
  subHash: number;
  /** Hash for the page condition (0 unless scope is page). */
  pageKeyHash: number;
  popularity: number;
}

export function normalizeTarget(seed: number, target: string, scope: TargetScope): NormalizedTarget {
  const { host, path } = stripUrl(target);
  const rootKey = registrableDomain(stripWww(host));
  const rootHash = hashString(rootKey, seed);
  const subKey = stripWww(host);
  const key = scope === 'root_domain' ? rootKey : scope === 'subdomain' ? host : `${host}${path}`;
  return {
    scope,
    key,
    rootKey,
    rootHash,
    subHash: scope === 'root_domain' ? 0 : hashString(`sub:${subKey}`, seed),
    pageKeyHash: scope === 'page' ? hashString(`page:${stripWww(host)}${path}`, seed) : 0,
    popularity: 0.5 + 1.5 * unit(mix32(rootHash ^ 0x27d4eb2f)),
  };
}

// ---------------------------------------------------------------- link model

/** Probability that a source of this DA potentially links to an average target root. */
function potentialForDa(da: number): number {
  return Math.min(0.9, 0.003 + 0.16 * (da / 100) ** 1.3);
}

const WINDOW_START = 15; // 2025-04
const WINDOW_MONTHS = 30; // births and deaths spread over 2025-04..2027-09
const HUB_SHARE = 0.04;
const HUB_BOOST = 12;
const NON_HUB = 0.55;
const SUB_SHARE = 0.5;
const PAGE_SHARE = 0.2;
const PAGE_SELECT_SHARE = 0.35;

export class LinkGraph {
  readonly universe: Universe;
  readonly seed: number;
  private readonly potential: Float32Array;
  private readonly cache = new Map<string, IntersectRowOut[]>();
  private readonly cacheSize: number;

  constructor(seed: number, universeSize: number, cacheSize = 24) {
    this.seed = seed;
    this.universe = getUniverse(seed, universeSize);
    this.cacheSize = cacheSize;
    this.potential = new Float32Array(universeSize);
    for (let i = 0; i < universeSize; i++) {
      // A minority of sources are "link hubs" (resource pages, directories, roundups) that link to
      // many sites; they make competitor linkers likelier to link to the campaign site later.
      const hub = unit(mix32((this.universe.nameHash[i] ?? 0) ^ 0x2f1e9d3b)) < HUB_SHARE;
      this.potential[i] = potentialForDa(this.universe.baseDa[i] ?? 1) * (hub ? HUB_BOOST : NON_HUB);
    }
  }

  /** DA drifts slowly (a few points) month to month. */
  daAt(index: number, month: number): number {
    const base = this.universe.baseDa[index] ?? 1;
    const h = this.universe.nameHash[index] ?? 0;
    const amplitude = base < 10 ? 1 : 1 + (h & 3);
    const phase = ((h >>> 8) & 1023) / 163;
    const drift = Math.round(amplitude * Math.sin(phase + month * 0.4));
    return Math.min(100, Math.max(1, base + drift));
  }

  /** Is the root-level link source → target root alive in `month`? */
  rootLinkAlive(index: number, target: NormalizedTarget, month: number): boolean {
    const source = this.universe.nameHash[index] ?? 0;
    const h = combine(source, target.rootHash);
    if (unit(h) >= (this.potential[index] ?? 0) * target.popularity) return false;
    if (this.universe.names[index] === target.rootKey) return false; // internal links do not count
    const r1 = unit(mix32(h ^ 0x68e31da4));
    const r2 = unit(mix32(h ^ 0xb5297a4d));
    const r3 = unit(mix32(h ^ 0x1b56c4e9));
    // Half of all links predate the window; the rest are born inside it.
    const born = r1 < 0.5 ? Number.NEGATIVE_INFINITY : WINDOW_START + Math.floor(r2 * WINDOW_MONTHS);
    if (month < born) return false;
    // Half of all links die at some point: uniformly in the window, or after their birth.
    if (r3 >= 0.55) return true;
    const r4 = unit(mix32(h ^ 0x3c6ef372));
    const dies =
      born === Number.NEGATIVE_INFINITY
        ? WINDOW_START + Math.floor(r4 * WINDOW_MONTHS)
        : born + 1 + Math.floor(r4 * WINDOW_MONTHS);
    return month < dies;
  }

  /** Root-level link at the target's own scope (subdomain/page conditions applied). */
  sourceLinks(index: number, target: NormalizedTarget, month: number): boolean {
    if (!this.rootLinkAlive(index, target, month)) return false;
    const source = this.universe.nameHash[index] ?? 0;
    if (target.scope !== 'root_domain' && unit(combine(source, target.subHash)) >= SUB_SHARE) return false;
    if (target.scope === 'page' && unit(combine(source ^ 0x51ed270b, target.pageKeyHash)) >= PAGE_SHARE)
      return false;
    return true;
  }

  /** Which pages of a linking source carry the link to anything under `target`'s root. */
  pageCarries(index: number, pageIndex: number, target: NormalizedTarget): boolean {
    const count = this.universe.pageCount[index] ?? 1;
    const primary = combine(this.universe.nameHash[index] ?? 0, target.rootHash ^ 0x7f4a7c15) % count;
    if (pageIndex === primary) return true;
    return unit(combine(pageHash(this.universe, index, pageIndex), target.rootHash)) < PAGE_SELECT_SHARE;
  }

  private maskFor(index: number, targets: readonly NormalizedTarget[], month: number): number {
    let mask = 0;
    for (let t = 0; t < targets.length; t++) {
      const target = targets[t];
      if (target && this.sourceLinks(index, target, month)) mask |= 1 << t;
    }
    return mask;
  }

  private pageMask(index: number, pageIndex: number, rootMask: number, targets: readonly NormalizedTarget[]) {
    let mask = 0;
    for (let t = 0; t < targets.length; t++) {
      const target = targets[t];
      if (target && rootMask & (1 << t) && this.pageCarries(index, pageIndex, target)) mask |= 1 << t;
    }
    return mask;
  }

  /** Every row for a validated request, in API order (cached per query and month). */
  intersect(request: IntersectRequest, month: string): IntersectRowOut[] {
    const key = `${queryFingerprint(request)}@${month}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const rows = this.computeIntersect(request, monthIndex(month));
    this.cache.set(key, rows);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return rows;
  }

  private computeIntersect(request: IntersectRequest, month: number): IntersectRowOut[] {
    const positives = request.positive_targets.map((t) => normalizeTarget(this.seed, t.target, t.scope));
    const negatives = request.negative_targets.map((t) => normalizeTarget(this.seed, t.target, t.scope));
    const minMatching = request.min_matching_targets ?? 1;
    const byRoot = request.source_scope === 'root_domain';
    const rows: IntersectRowOut[] = [];
    const { universe } = this;
    for (let i = 0; i < universe.size; i++) {
      const posMask = this.maskFor(i, positives, month);
      if (posMask === 0 || popcount(posMask) < minMatching) continue;
      const negMask = negatives.length > 0 ? this.maskFor(i, negatives, month) : 0;
      if (byRoot && negMask !== 0) continue;
      const da = this.daAt(i, month);
      const spam = universe.spam[i] ?? -1;
      const pages = renderPages(universe, i);
      if (byRoot) {
        const sourcePages: SourcePageOut[] = [];
        pages.forEach((p, j) => {
          if (this.pageMask(i, j, posMask, positives) !== 0) {
            sourcePages.push({ page: p.page, page_authority: p.pageAuthority });
          }
        });
        sourcePages.sort((a, b) => b.page_authority - a.page_authority || compare(a.page, b.page));
        rows.push({
          page: universe.names[i] ?? '',
          title: '',
          domain_authority: da,
          spam_score: spam,
          matching_target_indexes: indexes(posMask),
          matching_source_pages: sourcePages,
        });
        continue;
      }
      pages.forEach((p, j) => {
        const mask = this.pageMask(i, j, posMask, positives);
        if (popcount(mask) < minMatching) return;
        if (negMask !== 0 && this.pageMask(i, j, negMask, negatives) !== 0) return;
        rows.push({
          page: p.page,
          title: p.title,
          domain_authority: da,
          spam_score: spam,
          matching_target_indexes: indexes(mask),
        });
      });
    }
    return rows.sort(comparator(request.sort));
  }

  /** link_status semantics: does `source` at `sourceScope` link to `target` at `targetScope`? */
  linksTo(source: string, target: string, sourceScope: TargetScope, targetScope: TargetScope, month: string) {
    const normalized = normalizeTarget(this.seed, target, targetScope);
    const m = monthIndex(month);
    const { host, path } = stripUrl(source);
    const index = this.universe.indexByName.get(registrableDomain(stripWww(host)));
    if (index === undefined || !this.sourceLinks(index, normalized, m)) return false;
    if (sourceScope === 'root_domain') return true;
    const pages = renderPages(this.universe, index);
    return pages.some((p, j) => {
      const matches =
        sourceScope === 'subdomain'
          ? stripWww(pageHostOf(p.page)) === stripWww(host)
          : stripWww(p.page) === stripWww(`${host}${path}`);
      return matches && this.pageCarries(index, j, normalized);
    });
  }
}

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count++;
  return count;
}

function indexes(mask: number): number[] {
  const out: number[] = [];
  for (let t = 0; mask >> t !== 0; t++) if (mask & (1 << t)) out.push(t);
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Descending by the sort key; ties by DA descending, then page ascending. */
function comparator(sort: SortKey): (a: IntersectRowOut, b: IntersectRowOut) => number {
  const primary = (row: IntersectRowOut): number =>
    sort === 'matching_target_count'
      ? row.matching_target_indexes.length
      : sort === 'source_spam_score'
        ? row.spam_score
        : row.domain_authority;
  return (a, b) =>
    primary(b) - primary(a) || b.domain_authority - a.domain_authority || compare(a.page, b.page);
}

/** Everything that determines the full result list (not limit or next_token). */
export function queryFingerprint(request: IntersectRequest): string {
  const targets = (list: IntersectRequest['positive_targets']) =>
    list.map((t) => `${t.scope}:${t.target.trim().toLowerCase()}`).join(',');
  return [
    `p=${targets(request.positive_targets)}`,
    `n=${targets(request.negative_targets)}`,
    `m=${request.min_matching_targets ?? 1}`,
    `s=${request.source_scope}`,
    `o=${request.sort}`,
  ].join('|');
}

export function createGroundTruth(graph: LinkGraph, currentMonth: () => string): GroundTruth {
  return {
    intersect(body, month) {
      // Copies, so a caller mutating rows cannot corrupt the cache the HTTP handler serves from.
      return structuredClone(
        graph.intersect(parseOrThrow(intersectRequestSchema, body), month ?? currentMonth()),
      );
    },
    linksTo(source, target, opts) {
      return graph.linksTo(
        source,
        target,
        opts?.sourceScope ?? 'root_domain',
        opts?.targetScope ?? 'root_domain',
        opts?.month ?? currentMonth(),
      );
    },
  };
}

export function createLinkGraph(seed: string | number, universeSize: number): LinkGraph {
  return new LinkGraph(seedHash(seed), universeSize);
}
