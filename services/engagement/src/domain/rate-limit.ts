/**
 * A token bucket per account: `burst` writes at once, then `perSecond`. A person toggling a
 * like never meets it; a script flooding one account gets 429 with the seconds to wait. Kept in
 * memory, so on AWS it is per Lambda container (a flood is spread over a few containers at most);
 * the map forgets idle accounts, so memory stays bounded by `maxAccounts`.
 */
export interface RateLimitOptions {
  burst: number;
  perSecond: number;
  maxAccounts?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export function rateLimiter({ burst, perSecond, maxAccounts = 100_000 }: RateLimitOptions) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(account: string, now: number): RateDecision {
      const bucket = buckets.get(account);
      const elapsed = bucket ? Math.max(0, now - bucket.at) / 1000 : 0;
      const tokens = bucket ? Math.min(burst, bucket.tokens + elapsed * perSecond) : burst;
      if (tokens < 1) {
        buckets.set(account, { tokens, at: now });
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
      }
      // Re-insert so the Map's order is least recently used first; evict from the front.
      buckets.delete(account);
      buckets.set(account, { tokens: tokens - 1, at: now });
      if (buckets.size > maxAccounts) buckets.delete(buckets.keys().next().value as string);
      return { allowed: true };
    },
  };
}
