import type { Principal } from '../../../../shared/ports/token-verifier.js';

/**
 * Why a viewer may or may not play a title. The entitlement issue adds the store-backed reasons
 * ('subscription', 'rental', 'free_preview', and refusals such as 'rental_expired'); the shape of
 * the decision stays the same.
 */
export type PlaybackReason = 'admin' | 'payment_required';

export type PlaybackDecision =
  /** `until`: when access ends (ms since the epoch), e.g. a rental's end; undefined = no end of its own. */
  | { allowed: true; reason: PlaybackReason; until: number | undefined }
  | { allowed: false; reason: PlaybackReason; until: undefined };

export interface PlaybackFacts {
  principal: Pick<Principal, 'userId' | 'roles'>;
  videoId: string;
  /** Milliseconds since the epoch (the Clock port). */
  now: number;
}

/**
 * May this principal play this title now? Admins always may (so the pipeline's output can be
 * watched before anything is sold); everyone else needs an entitlement, which the entitlement
 * issue decides from the store — never from the token's display-only plan claim.
 */
export function decidePlayback(facts: PlaybackFacts): PlaybackDecision {
  if (facts.principal.roles.includes('admin')) return { allowed: true, reason: 'admin', until: undefined };
  return { allowed: false, reason: 'payment_required', until: undefined };
}

/** Default life of playback cookies: short, because the player renews them while access lasts. */
export const PLAYBACK_COOKIE_TTL_MS = 10 * 60 * 1000;

/**
 * When playback cookies stop working, in whole epoch SECONDS (CloudFront's DateLessThan): now + ttl,
 * but never later than the access itself ends (a rental's end). Rounded down, so a cookie never
 * outlives the rental by a fraction of a second. Undefined when less than a second is left.
 */
export function playbackCookieExpiry(decision: PlaybackDecision, now: number, ttlMs = PLAYBACK_COOKIE_TTL_MS) {
  if (!decision.allowed) return undefined;
  const end = Math.min(now + ttlMs, decision.until ?? Number.POSITIVE_INFINITY);
  const seconds = Math.floor(end / 1000);
  return seconds * 1000 > now ? seconds : undefined;
}
