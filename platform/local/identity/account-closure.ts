import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { AccountClosed } from '#shared/events/identity.js';
import { errorBody, serviceApp } from '#shared/http/app.js';
import type { AppEnv } from '#shared/http/app.js';
import { authenticate, requirePrincipal } from '#shared/http/auth.js';
import type { Logger } from '#shared/log.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import type { Bus } from '#shared/ports/bus.js';
import type { Clock } from '#shared/ports/clock.js';
import type { AccountStore } from './accounts.js';

const Closed = z.object({ closed: z.literal(true) });

const close = createRoute({
  method: 'post',
  path: '/me/close',
  summary: 'Close my account: it is deleted and `identity.AccountClosed` is emitted',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ confirm: z.literal('close') }).strict() } },
    },
  },
  responses: {
    200: { description: 'closed', content: { 'application/json': { schema: Closed } } },
    400: { description: 'the confirmation is missing' },
    401: { description: 'not signed in' },
  },
});

/**
 * Account closure for the built-in identity provider (Auth0 owns this on AWS). The event is put on
 * the bus first and the account deleted second: a crash between them leaves an open account whose
 * reminders are gone, which a second click finishes, never a closed account with live schedules.
 * Mounted at `/api/identity`.
 */
export function accountClosureApp(options: {
  accounts: AccountStore;
  bus: Bus;
  clock: Clock;
  verifier: TokenVerifier;
  logger?: Logger;
}) {
  const app = serviceApp(options.logger ? { logger: options.logger } : {});
  app.use(authenticate(options.verifier));
  const routes = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) =>
      result.success
        ? undefined
        : c.json(errorBody('invalid_input', 'send {"confirm": "close"} to close the account'), 400),
  });
  routes.openapi(close, async (c) => {
    const { userId } = requirePrincipal(c.get('principal'));
    await options.bus.publish([AccountClosed.create({ userId }, options.clock.now())]);
    options.accounts.remove(userId);
    return c.json({ closed: true as const }, 200);
  });
  app.route('/', routes);
  return app;
}
