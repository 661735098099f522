import { intersectPageLimit } from '#domain/budget.ts';
import { addCost, type CallCost, sumCosts } from '#domain/call-cost.ts';
import type { Campaign } from '#domain/campaign.ts';
import { type GapColumns, GapFold, trimGapColumns } from '#domain/gap-columns.ts';
import { paginationGuard } from '#domain/pagination.ts';
import { MozInterruptedError } from '#moz/errors.ts';
import type { Log } from '#shared/ports.ts';
import { forEachPage, type PageCheckpoint, type PageSeen, type RunRef, savePage } from './checkpoints.ts';
import { intersectQueryOf } from './intersect-query.ts';
import type { RunDeps } from './run-deps.ts';

/** Why a run stopped before it finished: the invocation's deadline, or a signal (ctrl-C). */
export type PauseReason = 'deadline' | 'interrupted';
export interface Paused {
  paused: PauseReason;
  /** What the run has spent so far (every saved page and batch). */
  spent: CallCost;
}
/** Asked at every safe point (between Moz calls): undefined means carry on. */
export type StopCheck = () => PauseReason | undefined;

/** What a Moz call stopped by the interrupt resolves to (see {@link stoppedByInterrupt}). */
export const INTERRUPTED: unique symbol = Symbol('interrupted');

/**
 * A Moz call the run's interrupt stopped (its retry wait ended, or its unanswered request abandoned)
 * is a safe point like the one before it: nothing of it was saved, so the run pauses and a rerun
 * makes that call again. Any other failure is rethrown.
 */
export function stoppedByInterrupt(error: unknown): typeof INTERRUPTED {
  if (error instanceof MozInterruptedError) return INTERRUPTED;
  throw error;
}

export interface GapList {
  /** The gap list so far, folded page by page (toCurrentProspects' rules). */
  current: GapColumns;
  /** Pages fetched, this attempt and earlier ones. */
  pages: number;
  /** The budget ran out while Moz still had rows. */
  truncated: boolean;
  cost: CallCost;
  /** Rows Moz returned outside the lake contract, dropped at the boundary (every page so far). */
  droppedRows: number;
}

/** A cursor that would page forever; the pages already paid for are kept. */
export class PaginationLoopError extends Error {
  override name = 'PaginationLoopError';
}

/**
 * Pages through Link Intersect within the campaign's budget, saving each page before asking for the
 * next, so a crash, a timeout or ctrl-C resumes from the last page and never pays for one twice.
 * Each page's rows are folded into columns as it arrives (or, resuming, as its checkpoint is read):
 * the run never holds the pages themselves.
 */
export async function fetchGapList(
  ports: Pick<RunDeps, 'lake' | 'moz' | 'log' | 'afterStep' | 'progress'>,
  run: RunRef,
  campaign: Campaign,
  options: {
    pageSize: number;
    deadline?: number;
    /** The interrupt: handed to each Moz call, so a retry or a wait inside it stops too. */
    signal?: AbortSignal;
    stop: StopCheck;
    excluded: ReadonlySet<string>;
  },
): Promise<GapList | (Paused & { pages: number })> {
  const report = (page: number, spent: CallCost, more: boolean) =>
    ports.progress?.({
      kind: 'pages',
      campaignId: run.campaignId,
      runDate: run.runDate,
      page,
      rowsSpent: spent.rowsConsumed,
      budget: campaign.maxRowsPerRun,
      pageSize: options.pageSize,
      more,
    });
  const fold = new GapFold(campaign, options.excluded);
  const pages = await forEachPage(ports.lake, run, (page) => fold.add(page.rows));
  const guard = paginationGuard();
  for (const page of pages) refuseLoop(guard.accept(pageSeen(page)), ports.log);
  const query = intersectQueryOf(campaign);
  let cost = sumCosts(pages.map((page) => page.cost));
  let droppedRows = pages.reduce((sum, page) => sum + (page.droppedRows ?? 0), 0);
  let count = pages.length;
  let nextToken = pages.at(-1)?.nextToken ?? null;
  let finished = count > 0 && nextToken === null;
  const done = (truncated: boolean): GapList => ({
    current: trimGapColumns(fold.columns),
    pages: count,
    truncated,
    cost,
    droppedRows,
  });
  report(count, cost, !finished);
  while (!finished) {
    const limit = intersectPageLimit(campaign.maxRowsPerRun - cost.rowsConsumed, options.pageSize);
    if (limit === 0) return done(true);
    const paused = options.stop();
    if (paused) return { paused, spent: cost, pages: count };
    const result = await ports.moz
      .intersectPage(query, { limit, nextToken, deadline: options.deadline, signal: options.signal })
      .catch(stoppedByInterrupt);
    if (result === INTERRUPTED) return { paused: 'interrupted', spent: cost, pages: count };
    const page: PageCheckpoint = {
      page: count + 1,
      requestToken: nextToken,
      limit,
      rows: result.rows,
      nextToken: result.nextToken,
      cost: result.cost,
      droppedRows: result.droppedRows,
    };
    await savePage(ports.lake, run, page);
    fold.add(page.rows);
    count = page.page;
    cost = addCost(cost, page.cost);
    droppedRows += result.droppedRows;
    ports.log.debug('page fetched', { page: page.page, rows: page.rows.length });
    await ports.afterStep?.('page', String(page.page));
    refuseLoop(guard.accept(pageSeen({ ...page, rowCount: page.rows.length })), ports.log);
    nextToken = result.nextToken;
    finished = nextToken === null;
    report(page.page, cost, !finished);
  }
  return done(false);
}

const pageSeen = (page: Omit<PageSeen, 'page' | 'limit' | 'cost'>) => ({
  requestToken: page.requestToken,
  rowCount: page.rowCount,
  nextToken: page.nextToken,
});

function refuseLoop(problem: string | undefined, log: Log): void {
  if (problem === undefined) return;
  log.error('stopped paging', { problem });
  throw new PaginationLoopError(problem);
}
