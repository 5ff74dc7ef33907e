/**
 * Token-bucket rate limiter keyed by client (IP + write key), with bounded memory.
 * Imports: nothing. Never uses timers: buckets refill lazily from the injected clock.
 */

/** Sustained rate and burst of one client's bucket. */
export interface RateLimitOptions {
  /** Tokens added per second (one request costs one token). */
  requestsPerSecond: number;
  /** Bucket size: requests a client may send at once after being idle. */
  burst: number;
  /** Most clients tracked at once; the least recently seen are forgotten first. @defaultValue 10000 */
  maxClients?: number;
}

/** `0` when allowed, else the whole seconds to wait before retrying (for `Retry-After`). */
export type RateLimitResult = number;

/**
 * Creates a limiter; `take(key)` spends one token of `key`'s bucket.
 *
 * @param now - clock in milliseconds @defaultValue `Date.now`
 * @example
 * ```ts
 * const limiter = createRateLimiter({ requestsPerSecond: 20, burst: 40 });
 * const wait = limiter.take(`${ip}|${writeKey}`); // 0, or seconds for Retry-After
 * ```
 */
export function createRateLimiter(options: RateLimitOptions, now: () => number = Date.now): { take(key: string): RateLimitResult } {
  const { requestsPerSecond: rate, burst } = options;
  const maxClients = options.maxClients ?? 10_000;
  // Map keeps insertion order: re-inserting on use makes the first key the least recently seen
  const buckets = new Map<string, { tokens: number; at: number }>();

  return {
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (b) {
        buckets.delete(key);
        b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
        b.at = t;
      } else {
        b = { tokens: burst, at: t };
        if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value!);
      }
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / rate));
    },
  };
}
