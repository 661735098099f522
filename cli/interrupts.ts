import { INTERRUPT_GRACE_MS } from '#moz/http.ts';
import type { Output } from './output.ts';

export interface Interrupts {
  /** Aborted by the first SIGINT or SIGTERM: the run stops at its next safe point, saved. */
  readonly signal: AbortSignal;
  /** Stops trapping (the default handlers apply again). */
  release(): void;
}

/** The conventional exit code of a command stopped by ctrl-C (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Traps ctrl-C and SIGTERM while a run is in progress. The first asks the run to stop after the
 * request in flight (every page it paid for is saved, and the claim is released so a rerun resumes
 * at once): the signal reaches the Moz call, which starts no attempt and ends any retry or rate-limit
 * wait at once, and abandons a request Moz has not answered within INTERRUPT_GRACE_MS. A second one
 * quits immediately, which loses nothing either: the claim names this
 * process, so the next run takes it over as soon as the process is gone.
 */
export function trapInterrupts(output: Output, exit: (code: number) => void = process.exit): Interrupts {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      output.err(`linkgap: ${signal} again: quitting now; the next run resumes from the last saved page`);
      exit(INTERRUPTED_EXIT_CODE);
      return;
    }
    output.err(
      `linkgap: ${signal}: stopping after the request in flight, or in ${INTERRUPT_GRACE_MS / 1000} s if Moz does not answer it (press ctrl-C again to quit at once)`,
    );
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
