import type { Principal } from '#shared/ports/token-verifier.js';
import type { Rental } from './rental.js';
import { rentalAccessUntil } from './rental.js';
import type { Subscription } from './subscription.js';
import { planAccessUntil } from './subscription.js';
import type { VideoFacts } from './video.js';

/** Why a viewer may or may not watch a title. */
export type AccessReason =
  'admin' | 'free_preview' | 'subscription' | 'rental' | 'not_entitled' | 'not_published' | 'not_found';

export interface AccessDecision {
  canWatch: boolean;
  reason: AccessReason;
  /** When access ends (ms since the epoch); null when it has no end of its own or is refused. */
  expiresAt: number | null;
}

export interface AccessFacts {
  /** Undefined for an anonymous visitor. */
  principal: Pick<Principal, 'roles'> | undefined;
  /** The title as the catalog last told us, or undefined when it is unknown. */
  video: Pick<VideoFacts, 'published' | 'deleted' | 'freePreview'> | undefined;
  subscriptions: readonly Subscription[];
  rentals: readonly Rental[];
  /** Milliseconds since the epoch (the Clock port). */
  now: number;
  /** The title's id, to pick its rentals. */
  videoId: string;
}

/**
 * May this viewer watch this title now, why, and until when? Admins always may (the pipeline's
 * output is watched before anything is sold); others only published titles, free previews with
 * no entitlement, everything else on a plan that covers `now` or a rental of that title. When a
 * plan and a rental both apply, the one lasting longer is reported.
 */
export function decideAccess(facts: AccessFacts): AccessDecision {
  if (facts.principal?.roles.includes('admin')) return { canWatch: true, reason: 'admin', expiresAt: null };
  const { video } = facts;
  if (!video || video.deleted) return { canWatch: false, reason: 'not_found', expiresAt: null };
  if (!video.published) return { canWatch: false, reason: 'not_published', expiresAt: null };
  if (video.freePreview) return { canWatch: true, reason: 'free_preview', expiresAt: null };
  const plan = planAccessUntil(facts.subscriptions, facts.now);
  const rental = rentalAccessUntil(facts.rentals, facts.videoId, facts.now);
  if (plan !== undefined && (rental === undefined || plan >= rental)) {
    return { canWatch: true, reason: 'subscription', expiresAt: plan };
  }
  if (rental !== undefined) return { canWatch: true, reason: 'rental', expiresAt: rental };
  return { canWatch: false, reason: 'not_entitled', expiresAt: null };
}

export type PlaybackReason = AccessReason;

export type PlaybackDecision =
  /** `until`: when access ends (ms since the epoch), e.g. a rental's end; undefined = no end of its own. */
  | { allowed: true; reason: PlaybackReason; until: number | undefined }
  | { allowed: false; reason: PlaybackReason; until: undefined };

export interface PlaybackFacts {
  principal: Pick<Principal, 'userId' | 'roles'>;
  videoId: string;
  /** Milliseconds since the epoch (the Clock port). */
  now: number;
  video?: AccessFacts['video'];
  subscriptions?: readonly Subscription[];
  rentals?: readonly Rental[];
}

/**
 * May this principal play this title now? The same decision as `decideAccess`, read from the
 * entitlement store by the caller — never from the token's display-only plan claim.
 */
export function decidePlayback(facts: PlaybackFacts): PlaybackDecision {
  const decision = decideAccess({
    principal: facts.principal,
    video: facts.video,
    subscriptions: facts.subscriptions ?? [],
    rentals: facts.rentals ?? [],
    now: facts.now,
    videoId: facts.videoId,
  });
  if (!decision.canWatch) return { allowed: false, reason: decision.reason, until: undefined };
  // Cookies never outlive the access: a rental's end or the paid period's end caps them.
  return { allowed: true, reason: decision.reason, until: decision.expiresAt ?? undefined };
}

/** Default life of playback cookies: short, because the player renews them while access lasts. */
export const PLAYBACK_COOKIE_TTL_MS = 10 * 60 * 1000;

/**
 * When playback cookies stop working, in whole epoch SECONDS (CloudFront's DateLessThan): now + ttl,
 * but never later than the access itself ends (a rental's end). Rounded down, so a cookie never
 * outlives the rental by a fraction of a second. Undefined when less than a second is left.
 */
const COOKIE_EXPIRY_STEP_MS = 10_000;

export function playbackCookieExpiry(decision: PlaybackDecision, now: number, ttlMs = PLAYBACK_COOKIE_TTL_MS) {
  if (!decision.allowed) return undefined;
  const end = Math.min(now + ttlMs, decision.until ?? Number.POSITIVE_INFINITY);
  // Whole seconds, and — when the expiry is the cookie's own TTL — a 10-second step, so everyone
  // watching a title in the same ten seconds gets the same policy and the signer can reuse its
  // signature. A rental's end is kept to the second: access never outlives the rental.
  const seconds = end === now + ttlMs ? Math.floor(end / COOKIE_EXPIRY_STEP_MS) * 10 : Math.floor(end / 1000);
  return seconds * 1000 > now ? seconds : undefined;
}
