import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { AccountClosed } from '#shared/events/identity.js';
import { serviceApp } from '#shared/http/app.js';
import { authenticate, requirePrincipal } from '#shared/http/auth.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest } from '#shared/http/openapi.js';
import type { Logger } from '#shared/log.js';
import type { Bus } from '#shared/ports/bus.js';
import type { Clock } from '#shared/ports/clock.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import type { AccountStore } from './accounts.js';

const close = createRoute({
  method: 'post',
  path: '/me/close',
  summary: 'Close my account: it is deleted and `identity.AccountClosed` is emitted',
  security: bearer,
  request: { body: jsonRequest(z.object({ confirm: z.literal('close') }).strict(), '`{"confirm": "close"}`') },
  responses: {
    200: {
      description: 'closed',
      content: { 'application/json': { schema: z.object({ closed: z.literal(true) }) } },
    },
    ...errors('unauthorized', ...JSON_BODY_ERRORS),
  },
});

/**
 * Account closure for the built-in identity provider (Auth0 owns this on AWS), mounted at
 * `/api/identity`. The event is put on the bus first and the account deleted second: a crash
 * between them leaves an open account whose reminders are gone, which a second click finishes,
 * never a closed account with live schedules.
 */
export function accountClosureApp(options: {
  accounts: AccountStore;
  bus: Bus;
  clock: Clock;
  verifier: TokenVerifier;
  logger?: Logger;
}) {
  const app = serviceApp({ title: 'Kinema identity', ...(options.logger ? { logger: options.logger } : {}) });
  app.use(authenticate(options.verifier));
  app.openapi(close, async (c) => {
    const { userId } = requirePrincipal(c.get('principal'));
    await options.bus.publish([AccountClosed.create({ userId }, options.clock.now())]);
    options.accounts.remove(userId);
    return c.json({ closed: true as const }, 200);
  });
  return app;
}
