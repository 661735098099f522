import type { Campaign } from './campaign.ts';
import { type CurrentProspect, ignoreMatcher, type MozRowLike } from './prospects.ts';
import { rootDomainOf } from './targets.ts';

/**
 * The run's gap list in columns, one index per source: what toCurrentProspects gives, without an
 * object per prospect. Built page by page (GapFold), so a run never holds the Moz pages themselves.
 * `matchedTargets` arrays are shared between prospects with the same targets (a campaign has few
 * combinations): treat them as read-only.
 */
export interface GapColumns {
  source: string[];
  sourceRootDomain: string[];
  title: string[];
  domainAuthority: number[];
  pageAuthority: (number | null)[];
  spamScore: (number | null)[];
  matchedTargets: (readonly string[])[];
  matchedCount: number[];
}

export const emptyGapColumns = (): GapColumns => ({
  source: [],
  sourceRootDomain: [],
  title: [],
  domainAuthority: [],
  pageAuthority: [],
  spamScore: [],
  matchedTargets: [],
  matchedCount: [],
});

/**
 * Folds Moz rows into GapColumns as they arrive, with toCurrentProspects' rules: a source listed twice
 * keeps its first row, ignored and excluded sources are dropped, Moz's order is kept, indexes outside
 * `campaign.competitors` are dropped, a negative spam score becomes null.
 */
export class GapFold {
  readonly columns: GapColumns = emptyGapColumns();
  private readonly seen = new Set<string>();
  private readonly ignored: (source: string) => boolean;
  private readonly targetsByIndexes = new Map<string, readonly string[]>();

  constructor(
    private readonly campaign: Campaign,
    private readonly excluded: ReadonlySet<string> = new Set(),
  ) {
    this.ignored = ignoreMatcher(campaign.ignore);
  }

  add(rows: readonly MozRowLike[]): void {
    const columns = this.columns;
    for (const row of rows) {
      if (this.seen.has(row.source)) continue;
      this.seen.add(row.source);
      if (this.ignored(row.source) || this.excluded.has(row.source)) continue;
      const root = rootDomainOf(row.source);
      columns.source.push(row.source);
      columns.sourceRootDomain.push(root === row.source ? row.source : root);
      columns.title.push(row.title);
      columns.domainAuthority.push(row.domainAuthority);
      columns.pageAuthority.push(row.pageAuthority);
      columns.spamScore.push(row.spamScore !== null && row.spamScore >= 0 ? row.spamScore : null);
      const targets = this.targetsOf(row.matchingTargetIndexes);
      columns.matchedTargets.push(targets);
      columns.matchedCount.push(targets.length);
    }
  }

  private targetsOf(indexes: readonly number[]): readonly string[] {
    const key = indexes.join(',');
    let targets = this.targetsByIndexes.get(key);
    if (targets === undefined) {
      const wanted = new Set(indexes);
      targets = this.campaign.competitors
        .filter((_, index) => wanted.has(index))
        .map((competitor) => competitor.target);
      this.targetsByIndexes.set(key, targets);
    }
    return targets;
  }
}

/** Columns of prospects already in CurrentProspect form (diffRun's input). */
export function gapColumnsOf(prospects: readonly CurrentProspect[]): GapColumns {
  const columns = emptyGapColumns();
  for (const prospect of prospects) {
    columns.source.push(prospect.source);
    columns.sourceRootDomain.push(prospect.sourceRootDomain);
    columns.title.push(prospect.title);
    columns.domainAuthority.push(prospect.domainAuthority);
    columns.pageAuthority.push(prospect.pageAuthority);
    columns.spamScore.push(prospect.spamScore);
    columns.matchedTargets.push(prospect.matchedTargets);
    columns.matchedCount.push(prospect.matchedCount);
  }
  return columns;
}
