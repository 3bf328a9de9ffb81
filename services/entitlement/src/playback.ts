import type { Context } from 'hono';
import { generateCookie } from 'hono/cookie';
import { z } from 'zod';
import { AppError } from '#shared/errors.js';
import { parseInput } from '#shared/http/app.js';
import type { AppEnv } from '#shared/http/app.js';
import { requirePrincipal } from '#shared/http/auth.js';
import { Id } from '#shared/ids.js';
import type { Clock } from '#shared/ports/clock.js';
import type { CookieSigner, SignedCookies } from '#shared/ports/cookie-signer.js';
import { decidePlayback, PLAYBACK_COOKIE_TTL_MS, playbackCookieExpiry } from './domain/access.js';
import { lastRentalEnd } from './domain/rental.js';
import type { EntitlementStore } from './store.js';

export interface PlaybackOptions {
  /** Signs CloudFront cookies (the same adapter in both runtimes). */
  cookies: CookieSigner;
  /** Origin the browser fetches HLS from: the site itself standalone, the media CloudFront host on AWS. */
  mediaOrigin: string;
  /** `Domain=` for the cookies when the API and the media host differ (AWS: the parent domain). */
  cookieDomain?: string;
  /** Cookie life before renewal; default 10 minutes. */
  cookieTtlMs?: number;
  clock: Clock;
  /** The entitlement store: the decision reads it, never the token's plan claim. */
  store: Pick<EntitlementStore, 'account' | 'videoFacts'>;
  /** Counts a play for the operator's dashboard (never blocks or fails playback). */
  recordPlay?: (userId: string, videoId: string, now: number) => Promise<unknown>;
  onPlayError?: (error: unknown) => void;
}

const MediaOrigin = z.url({ protocol: /^https?$/ });
const CookieDomain = z
  .string()
  .regex(/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i, 'a cookie domain is a host name such as kinema.app');

/** Set-Cookie line sets kept at most (titles × the current second's expiries). */
const MAX_COOKIE_LINES = 1024;

/** The URL paths of one title's HLS tree; the cookies' Path and the policy's Resource both use it. */
export const hlsPath = (videoId: string) => `/media/videos/${videoId}/hls/`;

/**
 * `POST /playback/:videoId`: decides whether the caller may play the title and, if so, sets the
 * three CloudFront cookies for that title's HLS tree only.
 *
 * Cookie attributes, and why:
 * - `Path=/media/videos/<id>/hls/`: the browser sends a title's cookies only with that title's
 *   requests, so cookies for several titles never collide.
 * - `HttpOnly`: page scripts never need them; hls.js sends them with `withCredentials`.
 * - https media origin (AWS): `Secure; SameSite=None` and `Domain=<cookieDomain>`. The API sets
 *   them while the player fetches from the media host; `Strict` (or `Lax`) would withhold them from
 *   those credentialed cross-origin fetches whenever the media host is another site (e.g. a
 *   `*.cloudfront.net` name). They only unlock reads of one title's segments, and media GETs change
 *   nothing, so cross-site sending gives no CSRF foothold.
 * - http media origin (standalone, one origin): `SameSite=Lax`, host-only, no `Secure`.
 */
export function playbackHandler(options: PlaybackOptions) {
  const mediaOrigin = new URL(parseInput(MediaOrigin, options.mediaOrigin)).origin;
  const secure = mediaOrigin.startsWith('https:');
  const domain = options.cookieDomain === undefined ? undefined : parseInput(CookieDomain, options.cookieDomain);
  const ttlMs = options.cookieTtlMs ?? PLAYBACK_COOKIE_TTL_MS;

  // A title's three Set-Cookie lines follow from its path, the expiry and the max-age alone (the
  // signature is a function of the policy), so they are written once per second of max-age, not
  // on every grant of every viewer.
  const lines = new Map<string, string[]>();
  const setCookieLines = (path: string, dateLessThan: number, maxAge: number) => {
    const memoKey = `${dateLessThan} ${maxAge} ${path}`;
    let written = lines.get(memoKey);
    if (!written) {
      const signed: SignedCookies = options.cookies.sign(`${mediaOrigin}${path}*`, dateLessThan);
      written = Object.entries(signed).map(([name, value]) =>
        generateCookie(name, value, {
          path,
          httpOnly: true,
          secure,
          sameSite: secure ? 'None' : 'Lax',
          maxAge,
          ...(domain ? { domain } : {}),
        }),
      );
      if (lines.size >= MAX_COOKIE_LINES) lines.clear();
      lines.set(memoKey, written);
    }
    return written;
  };

  return async (c: Context<AppEnv>) => {
    const principal = requirePrincipal(c.get('principal'));
    const videoId = parseInput(Id, c.req.param('videoId'));
    const now = options.clock.now();
    const admin = principal.roles.includes('admin');
    // Fresh reads (no cache): an unpublished title or an ended rental stops at the next renewal.
    const [video, rights] = await Promise.all([
      options.store.videoFacts(videoId),
      admin ? Promise.resolve({ subscriptions: [], rentals: [] }) : options.store.account(principal.userId),
    ]);
    const decision = decidePlayback({ principal, videoId, now, video, ...rights });
    const dateLessThan = playbackCookieExpiry(decision, now, ttlMs);
    if (dateLessThan === undefined) {
      if (decision.reason === 'not_found') {
        throw new AppError('not_found', 'this title does not exist', { reason: decision.reason });
      }
      if (decision.reason === 'not_published') {
        throw new AppError('conflict', 'this title is not available for playback', { reason: decision.reason });
      }
      const ended = lastRentalEnd(rights.rentals, videoId, now);
      throw new AppError('payment_required', 'a plan or a rental of this title is needed to watch it', {
        reason: 'not_entitled',
        rentalEndedAt: ended === undefined ? null : new Date(ended).toISOString(),
      });
    }

    // Admins previewing titles are not audience.
    if (!admin && options.recordPlay) {
      await options.recordPlay(principal.userId, videoId, now).catch((error: unknown) => options.onPlayError?.(error));
    }
    const path = hlsPath(videoId);
    const maxAge = dateLessThan - Math.floor(now / 1000);
    for (const line of setCookieLines(path, dateLessThan, maxAge)) c.header('Set-Cookie', line, { append: true });
    c.header('Cache-Control', 'no-store');
    return c.json({
      manifestUrl: `${mediaOrigin}${path}master.m3u8`,
      expiresAt: new Date(dateLessThan * 1000).toISOString(),
      reason: decision.reason,
    });
  };
}
