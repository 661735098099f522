// Token bucket: `requests` tokens every `perMs`, capacity `burst` (default 1).
// A small tolerance (2% of the interval, but at least 20 ms, capped at 25% of
// the interval) absorbs timer, network and event-loop jitter, so a client that
// spaces its requests exactly at the limit never sees a 429.
export interface RateLimit {
  requests: number;
  perMs: number;
  burst?: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly perToken: number;
  private readonly tolerance: number;

  constructor(
    limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.requests > 0) || !(limit.perMs > 0))
      throw new RangeError('rateLimit: requests and perMs must be > 0');
    this.capacity = Math.max(1, limit.burst ?? 1);
    this.perToken = limit.perMs / limit.requests;
    this.tolerance = Math.min(0.25, Math.max(0.02, 20 / this.perToken));
    this.tokens = this.capacity;
    this.last = this.now();
  }

  /** Takes a token at `now` (the request's arrival); returns 0 when allowed, else ms until one is available. */
  take(now = this.now()): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) / this.perToken);
    this.last = now;
    if (this.tokens >= 1 - this.tolerance) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, (1 - this.tokens) * this.perToken);
  }
}
