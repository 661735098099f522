// Seeded, per-route fault injection. Decisions come from a PRNG per spec, so a
// given sequence of requests always meets the same faults.
import { prng } from './hash.ts';

export type SimRoute = 'link_intersect' | 'link_status' | 'usage_data';

export interface FaultSpec {
  /** 0..1 chance of a 5xx (status5xx, default 503) before any work/metering. */
  error5xxRate?: number;
  status5xx?: number;
  /** Chance of delaying the response by slowMs. */
  slowRate?: number;
  slowMs?: number;
  /** Chance of destroying the socket without a response. */
  dropRate?: number;
  /** Chance of a 200 with an invalid/truncated JSON body. */
  malformedRate?: number;
  /** Chance of a 502 text/html error page. */
  htmlErrorRate?: number;
  /** The next `count` requests get 429 (with Retry-After when not null). */
  burst429?: { count: number; retryAfterSeconds: number | null };
  /** true: malformed/dropped responses are metered (the server did the work). Default false. */
  meterFaulted?: boolean;
  /** PRNG seed for fault decisions, default 1. */
  seed?: number;
}

export type PreFault =
  | { kind: 'burst429'; retryAfterSeconds: number | null }
  | { kind: '5xx'; status: number }
  | { kind: 'html' };
export type PostFault = { kind: 'drop' } | { kind: 'malformed' };

export interface FaultDecision {
  pre: PreFault | null;
  slowMs: number;
  post: PostFault | null;
  meterFaulted: boolean;
}

const NONE: FaultDecision = { pre: null, slowMs: 0, post: null, meterFaulted: false };

interface Armed {
  spec: FaultSpec;
  random: () => number;
  burstLeft: number;
}

export class FaultInjector {
  private readonly armed = new Map<SimRoute | '*', Armed>();

  set(route: SimRoute | '*', spec: FaultSpec): void {
    this.armed.set(route, { spec, random: prng(spec.seed ?? 1), burstLeft: spec.burst429?.count ?? 0 });
  }

  clear(): void {
    this.armed.clear();
  }

  /** A route-specific spec wins over '*'. Draws happen in a fixed order for determinism. */
  decide(route: SimRoute): FaultDecision {
    const armed = this.armed.get(route) ?? this.armed.get('*');
    if (!armed) return NONE;
    const { spec, random } = armed;
    const meterFaulted = spec.meterFaulted ?? false;
    if (armed.burstLeft > 0) {
      armed.burstLeft--;
      return {
        pre: { kind: 'burst429', retryAfterSeconds: spec.burst429?.retryAfterSeconds ?? null },
        slowMs: 0,
        post: null,
        meterFaulted,
      };
    }
    const roll = (rate: number | undefined) => random() < (rate ?? 0);
    const error5xx = roll(spec.error5xxRate);
    const html = roll(spec.htmlErrorRate);
    const slow = roll(spec.slowRate);
    const drop = roll(spec.dropRate);
    const malformed = roll(spec.malformedRate);
    const pre: PreFault | null = error5xx
      ? { kind: '5xx', status: spec.status5xx ?? 503 }
      : html
        ? { kind: 'html' }
        : null;
    const post: PostFault | null = drop ? { kind: 'drop' } : malformed ? { kind: 'malformed' } : null;
    return { pre, slowMs: slow ? (spec.slowMs ?? 1000) : 0, post, meterFaulted };
  }
}
