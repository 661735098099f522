/**
 * The evidence rule of verification (DESIGN.md section 5): nothing is called closed without a
 * Link Status answer saying the source now links to the campaign's site.
 */

/** One Link Status answer: `exists[i]` says whether `sources[i]` links to `siteTarget`. */
export interface LinkStatusAnswer {
  siteTarget: string;
  sources: readonly string[];
  exists: readonly boolean[];
}

/**
 * source → true when some site target is linked from it; false only when every site target was
 * checked and said no. Sources missing here are unverified.
 */
export function linkEvidence(
  answers: readonly LinkStatusAnswer[],
  siteTargets: readonly string[],
): Map<string, boolean> {
  const bySource = new Map<string, Map<string, boolean>>();
  for (const answer of answers) {
    answer.sources.forEach((source, index) => {
      const exists = answer.exists[index];
      if (exists === undefined) return;
      const bySite = bySource.get(source) ?? new Map<string, boolean>();
      bySite.set(answer.siteTarget, exists);
      bySource.set(source, bySite);
    });
  }
  const evidence = new Map<string, boolean>();
  for (const [source, bySite] of bySource) {
    if ([...bySite.values()].some(Boolean)) evidence.set(source, true);
    else if (siteTargets.every((target) => bySite.has(target))) evidence.set(source, false);
  }
  return evidence;
}

/**
 * The departed sources still to check against `siteTarget`: not yet shown to link to any site
 * target, and not yet checked against this one.
 */
export function sourcesToCheck(
  departed: readonly string[],
  answers: readonly LinkStatusAnswer[],
  siteTarget: string,
): string[] {
  const linked = new Set<string>();
  const checked = new Set<string>();
  for (const answer of answers) {
    answer.sources.forEach((source, index) => {
      if (answer.exists[index] === true) linked.add(source);
      if (answer.siteTarget === siteTarget) checked.add(source);
    });
  }
  return departed.filter((source) => !linked.has(source) && !checked.has(source));
}
