/**
 * Guards the Link Intersect page loop against answers that would page forever: a `next_token` that
 * points back at a page already requested, or a run of empty pages that each promise more. The
 * budget bounds pages that return rows; these rules bound the ones that cost nothing.
 */

/** Empty pages in a row, each with a `next_token`, after which the cursor is not believed. */
export const MAX_EMPTY_PAGES_IN_A_ROW = 3;

export interface PageSeen {
  /** The token the page was requested with; null for the first page. */
  requestToken: string | null;
  rowCount: number;
  nextToken: string | null;
}

export interface PaginationGuard {
  /** Records a page; returns why paging must stop, or undefined when its `next_token` may be followed. */
  accept(page: PageSeen): string | undefined;
}

export function paginationGuard(): PaginationGuard {
  const requested = new Set<string>();
  let emptyInARow = 0;
  return {
    accept(page) {
      if (page.requestToken !== null) requested.add(page.requestToken);
      emptyInARow = page.rowCount === 0 ? emptyInARow + 1 : 0;
      if (page.nextToken === null) return undefined;
      if (requested.has(page.nextToken)) {
        return `Moz /v2/link_intersect returned a next_token it had already returned (after ${requested.size + 1} pages): the cursor loops`;
      }
      if (emptyInARow >= MAX_EMPTY_PAGES_IN_A_ROW) {
        return `Moz /v2/link_intersect returned ${emptyInARow} empty pages in a row, each with a new next_token: the cursor does not end`;
      }
      return undefined;
    },
  };
}
