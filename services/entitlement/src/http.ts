import { AppError } from '../../../shared/errors.js';
import { serviceApp } from '../../../shared/http/app.js';
import { authenticate, requirePrincipal } from '../../../shared/http/auth.js';
import type { Logger } from '../../../shared/log.js';
import type { Clock } from '../../../shared/ports/clock.js';
import type { CookieSigner } from '../../../shared/ports/cookie-signer.js';
import type { Table } from '../../../shared/ports/table.js';
import type { TokenVerifier } from '../../../shared/ports/token-verifier.js';
import { activeRentals, planAt } from './domain/account.js';
import { playbackHandler } from './playback.js';
import { entitlementStore } from './store.js';

export interface EntitlementDeps {
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
  /** Playback (CloudFront signed cookies); without these the playback route answers 503. */
  cookies?: CookieSigner;
  /** Origin the browser fetches HLS from (standalone: the public URL; AWS: the media host). */
  mediaOrigin?: string;
  /** `Domain=` of the playback cookies on AWS, e.g. `kinema.app`; unset standalone. */
  cookieDomain?: string;
  /** Life of playback cookies; default 10 minutes. */
  cookieTtlMs?: number;
}

export function createEntitlementApp(deps: EntitlementDeps) {
  const store = entitlementStore(deps.table);
  const app = serviceApp({ logger: deps.logger });
  app.use(authenticate(deps.verifier));

  app.get('/me', async (c) => {
    const principal = requirePrincipal(c.get('principal'));
    const now = deps.clock.now();
    const { subscription, rentals } = await store.account(principal.userId);
    return c.json({
      userId: principal.userId,
      email: principal.email ?? null,
      roles: principal.roles,
      plan: planAt(subscription, now),
      subscription: subscription ?? null,
      rentals: activeRentals(rentals, now).map(({ videoId, purchasedAt, expiresAt }) => ({
        videoId,
        purchasedAt,
        expiresAt,
      })),
    });
  });

  const { cookies, mediaOrigin } = deps;
  app.post(
    '/playback/:videoId',
    cookies && mediaOrigin
      ? playbackHandler({
          cookies,
          mediaOrigin,
          clock: deps.clock,
          cookieDomain: deps.cookieDomain,
          cookieTtlMs: deps.cookieTtlMs,
        })
      : () => {
          throw new AppError('unavailable', 'playback is not configured on this server');
        },
  );

  return app;
}
