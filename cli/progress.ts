/**
 * `linkgap run` progress: on a TTY, a bar per campaign (cli-progress) with pages, Moz rows against the
 * budget, link_status batches, the current wait and an estimate of the time left under the rate limit;
 * otherwise lines, one every 30 s or every 10 pages (shared/pipeline/progress.ts lineProgress).
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import {
  duration,
  etaMs,
  lineProgress,
  type ProgressEvent,
  type ProgressSink,
  waitLine,
} from '#pipeline/progress.ts';

export interface RunProgress {
  sink: ProgressSink;
  stop(): void;
}

/** A bar per campaign on `stream` (a TTY). */
export function barProgress(stream: NodeJS.WritableStream, spacingMs: number): RunProgress {
  const bars = new MultiBar(
    {
      format: '{who} [{bar}] {value}/{total} Moz rows | {pages} page(s) | link_status {batches} | {status}',
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: true,
    },
    { format: '', barCompleteChar: '#', barIncompleteChar: '-' },
  );
  const byRun = new Map<string, SingleBar>();
  let current: SingleBar | undefined;
  const barOf = (event: Exclude<ProgressEvent, { kind: 'wait' }>, total: number) => {
    const key = `${event.campaignId} ${event.runDate}`;
    let bar = byRun.get(key);
    if (!bar) {
      bar = bars.create(total, 0, { who: key, pages: 0, batches: '-', status: 'starting' });
      byRun.set(key, bar);
    }
    current = bar;
    return bar;
  };
  return {
    sink(event) {
      if (event.kind === 'wait') return current?.update({ status: waitLine(event) });
      if (event.kind === 'done') return barOf(event, 1).update({ status: 'committed' });
      const bar = barOf(event, event.budget);
      if (event.kind === 'pages') {
        const eta = etaMs(event, spacingMs);
        const status = !event.more
          ? 'gap list fetched'
          : eta === undefined
            ? 'fetching'
            : `ETA <= ${duration(eta)}`;
        bar.update(event.rowsSpent, { pages: event.page, status });
      } else {
        bar.update(event.rowsSpent, {
          batches: `${event.batch}/${event.batches}`,
          status: 'verifying departures',
        });
      }
    },
    stop: () => bars.stop(),
  };
}

/** The TTY bar, or lines through `writeLine` when stderr is not a terminal (CI, a pipe, a log file). */
export function runProgress(options: {
  tty: boolean;
  stream: NodeJS.WritableStream;
  writeLine: (line: string) => void;
  spacingMs: number;
}): RunProgress {
  if (options.tty) return barProgress(options.stream, options.spacingMs);
  return {
    sink: lineProgress({ write: options.writeLine, now: Date.now, spacingMs: options.spacingMs }),
    stop() {},
  };
}
