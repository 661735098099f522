/**
 * What a long run reports while it works (issue 13): pages fetched, Moz rows spent against the
 * budget, link_status batches, and the waits the rate limit imposes. The pipeline emits events; a
 * sink draws them (a progress bar on a TTY, cli/progress.ts) or writes lines ({@link lineProgress}).
 */

import { INTERSECT_ROW_WEIGHT } from '#domain/budget.ts';

export interface ProgressScope {
  campaignId: string;
  runDate: string;
}

export type ProgressEvent =
  /** Link Intersect: `page` pages saved so far (0 when the run starts), `more` while Moz has more. */
  | (ProgressScope & {
      kind: 'pages';
      page: number;
      rowsSpent: number;
      budget: number;
      pageSize: number;
      more: boolean;
    })
  /** link_status: `batch` of about `batches` done (the estimate assumes the budget lasts). */
  | (ProgressScope & { kind: 'verify'; batch: number; batches: number; rowsSpent: number; budget: number })
  /**
   * A wait longer than {@link ANNOUNCED_WAIT_MS}, and why. For `answer` (a request in flight) its
   * length is not known: `waitMs` is how long it has lasted so far.
   */
  | { kind: 'wait'; waitMs: number; reason: WaitReason; detail: string }
  | (ProgressScope & { kind: 'done' });

export type WaitReason = 'retry-after' | 'backoff' | 'plan-spacing' | 'answer';

export type ProgressSink = (event: ProgressEvent) => void;

/** Waits longer than this are said out loud. */
export const ANNOUNCED_WAIT_MS = 5_000;

export const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function duration(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total < 90) return `${total} s`;
  const minutes = Math.round(total / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * An upper bound on the time left for the gap list under the rate limit: Moz does not say how many
 * pages there are, so the pages the remaining budget could buy, one request per `spacingMs`.
 */
export function etaMs(
  event: { rowsSpent: number; budget: number; pageSize: number; more: boolean },
  spacingMs: number,
): number | undefined {
  if (!event.more) return 0;
  if (spacingMs <= 0) return undefined;
  const pagesLeft = Math.ceil(
    Math.max(0, event.budget - event.rowsSpent) / (event.pageSize * INTERSECT_ROW_WEIGHT),
  );
  return pagesLeft * spacingMs;
}

/** A long span in the largest unit that reads well: "3 days", "1 day", "36 h", "1 h 30 min". */
function span(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours >= 48) return `${Math.round(hours / 24)} days`;
  // Between one and two days, whole days would hide up to 23 hours: only a day's worth says "1 day".
  if (Math.round(hours) === 24) return '1 day';
  return hours >= 2 ? `${Math.round(hours)} h` : duration(ms);
}

/** "Retry-After 30 s", or what the server asked for and the cap the client waited instead. */
function retryAfterText(retryAfterMs: number, askedMs: unknown): string {
  if (typeof askedMs !== 'number' || askedMs <= retryAfterMs) return `Retry-After ${seconds(retryAfterMs)}`;
  const asked = seconds(askedMs);
  const readable = span(askedMs);
  const said = readable === asked ? asked : `${asked} (${readable})`;
  return `Retry-After ${said}; linkgap caps the wait at ${seconds(retryAfterMs)}`;
}

/** The wait a Moz client retry announces (its `log` event), as a progress event; undefined for short ones. */
export function retryWait(event: {
  msg?: unknown;
  delayMs?: unknown;
  retryAfterMs?: unknown;
  retryAfterAskedMs?: unknown;
  status?: unknown;
}): ProgressEvent | undefined {
  if (event.msg !== 'moz request failed; retrying' || typeof event.delayMs !== 'number') return undefined;
  if (event.delayMs <= ANNOUNCED_WAIT_MS) return undefined;
  if (typeof event.retryAfterMs === 'number') {
    const answered =
      event.status === 429 || event.status === undefined
        ? '429 Too Many Requests'
        : `HTTP ${String(event.status)}`;
    return {
      kind: 'wait',
      waitMs: event.delayMs,
      reason: 'retry-after',
      detail: `Moz answered ${answered} with ${retryAfterText(event.retryAfterMs, event.retryAfterAskedMs)}`,
    };
  }
  const status = typeof event.status === 'number' ? ` (HTTP ${event.status})` : '';
  return {
    kind: 'wait',
    waitMs: event.delayMs,
    reason: 'backoff',
    detail: `backing off after a failed request${status}`,
  };
}

/**
 * A request in flight that the Moz client says is still waiting for its answer (its `moz answer still
 * awaited` log event), as a progress event: silence for the length of a timeout reads as a hang.
 */
export function answerWait(event: {
  msg?: unknown;
  elapsedMs?: unknown;
  status?: unknown;
  timeoutMs?: unknown;
}): ProgressEvent | undefined {
  if (event.msg !== 'moz answer still awaited' || typeof event.elapsedMs !== 'number') return undefined;
  const givesUp =
    typeof event.timeoutMs === 'number' ? `; linkgap gives up at ${seconds(event.timeoutMs)}` : '';
  const state =
    typeof event.status === 'number'
      ? `HTTP ${event.status} came but the body has not finished`
      : 'no answer yet';
  return { kind: 'wait', waitMs: event.elapsedMs, reason: 'answer', detail: `${state}${givesUp}` };
}

export const waitLine = (event: Extract<ProgressEvent, { kind: 'wait' }>) =>
  event.reason === 'answer'
    ? `waiting for Moz's answer: ${seconds(event.waitMs)} so far (${event.detail})`
    : `waiting ${seconds(event.waitMs)}: ${event.detail}`;

/**
 * Progress as lines, for a log or a terminal that is not a TTY: one line per campaign every
 * `everyMs` (30 s) or every `everyPages` (10) pages, whichever comes first, and at the end. Waits
 * behind a 429 or a backoff get their own line; the plan's spacing, which every page waits for on
 * the free tier, is said once per run and then carried in the periodic lines.
 */
export function lineProgress(options: {
  write: (line: string) => void;
  now: () => number;
  spacingMs: number;
  everyMs?: number;
  everyPages?: number;
}): ProgressSink {
  const everyMs = options.everyMs ?? 30_000;
  const everyPages = options.everyPages ?? 10;
  let last = { at: options.now(), page: 0 };
  let batches = '';
  let spacingSaid = false;
  let run = '';
  return (event) => {
    if (event.kind === 'wait') {
      if (event.reason !== 'plan-spacing' || !spacingSaid) options.write(waitLine(event));
      spacingSaid ||= event.reason === 'plan-spacing';
      return;
    }
    const who = `${event.campaignId} ${event.runDate}`;
    if (who !== run) {
      // The next run (a CLI's next campaign, a warm Lambda's next message) starts afresh, even when the
      // last one paused or failed and so never said 'done'.
      run = who;
      last = { at: options.now(), page: 0 };
      batches = '';
    }
    if (event.kind === 'done') {
      spacingSaid = false;
      return;
    }
    if (event.kind === 'verify') batches = `, link_status batch ${event.batch}/${event.batches}`;
    const page = event.kind === 'pages' ? event.page : last.page;
    const due = options.now() - last.at >= everyMs || page - last.page >= everyPages;
    const finishing = event.kind === 'pages' ? !event.more : event.batch === event.batches;
    if (!due && !finishing) return;
    last = { at: options.now(), page };
    const eta = event.kind === 'pages' ? etaMs(event, options.spacingMs) : undefined;
    const etaText = eta === undefined || eta === 0 ? '' : `, at most ${duration(eta)} left at the rate limit`;
    options.write(
      `${who}: ${page} page(s), ${event.rowsSpent.toLocaleString('en-US')} of ${event.budget.toLocaleString('en-US')} Moz rows${batches}${etaText}`,
    );
  };
}
