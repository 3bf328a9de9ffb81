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
import type { SelfService } from './self-service.js';

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

const ok = { description: 'done', content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } } };

const changePassword = createRoute({
  method: 'post',
  path: '/me/password',
  summary: 'Change my password (the current one is required); other devices are signed out',
  security: bearer,
  request: {
    body: jsonRequest(
      z.object({ currentPassword: z.string().min(1).max(1000), newPassword: z.string().max(1000) }).strict(),
      'the current and the new password',
    ),
  },
  responses: { 200: ok, ...errors('unauthorized', ...JSON_BODY_ERRORS) },
});

const changeEmail = createRoute({
  method: 'post',
  path: '/me/email',
  summary: 'Move my account to another address: a confirmation link is emailed to it',
  security: bearer,
  request: {
    body: jsonRequest(
      z.object({ email: z.string().max(1000), lang: z.enum(['ja', 'en']).default('ja') }).strict(),
      'the new address and the language of the email',
    ),
  },
  responses: {
    202: {
      description: 'the link is on its way',
      content: { 'application/json': { schema: z.object({ sentTo: z.string() }) } },
    },
    ...errors('unauthorized', 'conflict', ...JSON_BODY_ERRORS),
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
  /** Password and email changes; absent, those routes answer 404. */
  selfService?: SelfService;
  /** Ends the account's issuer sessions and refresh tokens. */
  endSessions?: (userId: string) => void;
  logger?: Logger;
}) {
  const app = serviceApp({ title: 'Kinema identity', ...(options.logger ? { logger: options.logger } : {}) });
  app.use(authenticate(options.verifier));
  app.openapi(close, async (c) => {
    const { userId } = requirePrincipal(c.get('principal'));
    await options.bus.publish([AccountClosed.create({ userId }, options.clock.now())]);
    options.accounts.remove(userId);
    // Every device is signed out at its next renewal (the account is gone for the issuer, too).
    options.endSessions?.(userId);
    return c.json({ closed: true as const }, 200);
  });
  const self = options.selfService;
  if (self) {
    app.openapi(changePassword, async (c) => {
      const { userId } = requirePrincipal(c.get('principal'));
      await self.changePassword(userId, c.req.valid('json'));
      return c.json({ ok: true as const }, 200);
    });
    app.openapi(changeEmail, async (c) => {
      const { userId } = requirePrincipal(c.get('principal'));
      return c.json(await self.requestEmailChange(userId, c.req.valid('json')), 202);
    });
  }
  return app;
}
