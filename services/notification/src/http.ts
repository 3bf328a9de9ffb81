import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { notFound } from '#shared/errors.js';
import { errorBody, serviceApp } from '#shared/http/app.js';
import { authenticate, requirePrincipal, requireRole } from '#shared/http/auth.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest } from '#shared/http/openapi.js';
import { Id } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import { Contact, LANGUAGES, TimeZone } from './domain/reminder.js';
import type { RentalReminders } from './reminders.js';
import { SUPPRESSION_REASONS } from './store.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { OutboxEntry } from '#shared/responses.js';

/** One email of the standalone outbox (the `.eml` files); AWS has none. */
export { OutboxEntry };

export interface NotificationDeps {
  reminders: RentalReminders;
  verifier: TokenVerifier;
  logger?: Logger;
  /** The standalone outbox, newest first; absent on AWS (SES keeps no copy). */
  outbox?: { list(limit: number): Promise<OutboxEntry[]> };
}

const json = <S extends z.ZodType>(schema: S, description = 'ok') => ({
  description,
  content: { 'application/json': { schema } },
});

const ContactView = Contact.pick({ email: true, language: true, timeZone: true, remindersOff: true });
const ContactChanges = z
  .object({ language: z.enum(LANGUAGES), timeZone: TimeZone, remindersOff: z.boolean() })
  .partial()
  .strict();
const UnsubscribeQuery = z.object({ token: z.string().min(10).max(300) });
const DeliveryView = z.object({
  rentalId: z.string(),
  userId: z.string(),
  videoId: z.string(),
  state: z.string(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  updatedAt: z.string(),
});
const Outcome = z.object({ outcome: z.string() }).passthrough();

const routes = {
  me: createRoute({
    method: 'get',
    path: '/me',
    summary: 'How reminders reach me (records the address of the signed-in viewer)',
    security: bearer,
    responses: { 200: json(ContactView), ...errors('unauthorized') },
  }),
  updateMe: createRoute({
    method: 'put',
    path: '/me',
    summary: 'Set my email language, time zone and whether rental reminders are sent',
    security: bearer,
    request: { body: jsonRequest(ContactChanges) },
    responses: { 200: json(ContactView), ...errors('unauthorized', ...JSON_BODY_ERRORS) },
  }),
  unsubscribePage: createRoute({
    method: 'get',
    path: '/unsubscribe',
    summary: 'The page the unsubscribe link opens (a button; a GET never unsubscribes)',
    request: { query: UnsubscribeQuery },
    responses: { 200: { description: 'html page' }, ...errors('invalid_input') },
  }),
  unsubscribe: createRoute({
    method: 'post',
    path: '/unsubscribe',
    summary: 'One-click unsubscribe from rental reminders (RFC 8058)',
    request: { query: UnsubscribeQuery },
    responses: { 200: { description: 'unsubscribed' }, ...errors('invalid_input') },
  }),
  outbox: createRoute({
    method: 'get',
    path: '/outbox',
    summary: 'The emails sent, newest first (admin, standalone)',
    security: bearer,
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
    responses: {
      200: json(z.object({ items: z.array(OutboxEntry) })),
      ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found'),
    },
  }),
  deadLetters: createRoute({
    method: 'get',
    path: '/dead-letters',
    summary: 'Reminders whose sending failed every attempt (admin)',
    security: bearer,
    responses: { 200: json(z.object({ items: z.array(DeliveryView) })), ...errors('unauthorized', 'forbidden') },
  }),
  retry: createRoute({
    method: 'post',
    path: '/dead-letters/{rentalId}/retry',
    summary: 'Send a dead-lettered reminder again, now (admin)',
    security: bearer,
    request: { params: z.object({ rentalId: Id }) },
    responses: { 200: json(Outcome), ...errors('invalid_input', 'unauthorized', 'forbidden', 'not_found') },
  }),
  suppress: createRoute({
    method: 'post',
    path: '/suppressions',
    summary: 'Never mail this address again (admin; SES bounces and complaints arrive here on AWS)',
    security: bearer,
    request: {
      body: jsonRequest(
        z.object({ email: z.email().max(254), reason: z.enum(SUPPRESSION_REASONS).default('manual') }).strict(),
      ),
    },
    responses: {
      200: json(z.object({ suppressed: z.literal(true) })),
      ...errors('unauthorized', 'forbidden', ...JSON_BODY_ERRORS),
    },
  }),
  reconcile: createRoute({
    method: 'post',
    path: '/reminders/reconcile',
    summary: 'Rebuild every pending reminder schedule from the rentals (after a regional failover; admin)',
    security: bearer,
    responses: {
      200: json(z.object({ titles: z.number(), scheduled: z.number(), sentNow: z.number(), cancelled: z.number() })),
      ...errors('unauthorized', 'forbidden'),
    },
  }),
};

const page = (lang: string, title: string, body: string) =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${title}</title></head><body style="font-family:sans-serif;max-width:36rem;margin:3rem auto">${body}</body></html>`;

/** The notification service's routes: the viewer's contact settings, unsubscribe, admin views. */
export function createNotificationApp(deps: NotificationDeps) {
  const { reminders } = deps;
  const { store, tokens } = reminders;
  const app = serviceApp({ title: 'Kinema notification', ...(deps.logger ? { logger: deps.logger } : {}) });
  app.use(authenticate(deps.verifier));

  const view = (contact: Contact) => ({
    email: contact.email,
    language: contact.language,
    timeZone: contact.timeZone,
    remindersOff: contact.remindersOff,
  });

  app.openapi(routes.me, async (c) => {
    const principal = requirePrincipal(c.get('principal'));
    const current = await store.contact(principal.userId);
    if (principal.email && current?.email !== principal.email) {
      return c.json(view(await store.updateContact(principal.userId, { email: principal.email })), 200);
    }
    return c.json(view(current ?? Contact.parse({})), 200);
  });

  app.openapi(routes.updateMe, async (c) => {
    const principal = requirePrincipal(c.get('principal'));
    const changes = c.req.valid('json');
    const contact = await store.updateContact(principal.userId, {
      ...changes,
      ...(principal.email ? { email: principal.email } : {}),
    });
    return c.json(view(contact), 200);
  });

  const badToken = () => errorBody('invalid_input', 'this unsubscribe link is not valid');

  app.openapi(routes.unsubscribePage, async (c) => {
    const { token } = c.req.valid('query');
    if (!(await tokens.verify(token))) return c.json(badToken(), 400);
    const action = `?token=${encodeURIComponent(token)}`;
    return c.html(
      page(
        'ja',
        'Kinema',
        `<h1>レンタル終了のお知らせ / Rental reminders</h1>` +
          `<form method="post" action="${action}"><input type="hidden" name="List-Unsubscribe" value="One-Click">` +
          `<button type="submit">配信を停止する / Unsubscribe</button></form>`,
      ),
      200,
    );
  });

  app.openapi(routes.unsubscribe, async (c) => {
    const { token } = c.req.valid('query');
    const userId = await tokens.verify(token);
    if (!userId) return c.json(badToken(), 400);
    await store.updateContact(userId, { remindersOff: true });
    const wantsHtml = (c.req.header('accept') ?? '').includes('text/html');
    if (wantsHtml) {
      return c.html(page('ja', 'Kinema', '<p>配信を停止しました。 / You will get no more rental reminders.</p>'), 200);
    }
    return c.json({ unsubscribed: true }, 200);
  });

  app.openapi(routes.outbox, async (c) => {
    requireRole(c.get('principal'), 'admin');
    if (!deps.outbox) throw notFound('an outbox (this runtime sends through SES and keeps none)');
    return c.json({ items: await deps.outbox.list(c.req.valid('query').limit) }, 200);
  });

  app.openapi(routes.deadLetters, async (c) => {
    requireRole(c.get('principal'), 'admin');
    const items = (await store.deadLetters()).map(
      ({ rentalId, userId, videoId, state, attempts, lastError, updatedAt }) => ({
        rentalId,
        userId,
        videoId,
        state,
        attempts,
        lastError,
        updatedAt,
      }),
    );
    return c.json({ items }, 200);
  });

  app.openapi(routes.retry, async (c) => {
    requireRole(c.get('principal'), 'admin');
    const outcome = await reminders.retryDead(c.req.valid('param').rentalId);
    if (!outcome) throw notFound('a dead-lettered reminder of that rental');
    return c.json(outcome, 200);
  });

  app.openapi(routes.suppress, async (c) => {
    requireRole(c.get('principal'), 'admin');
    const { email, reason } = c.req.valid('json');
    await reminders.suppress(email, reason);
    return c.json({ suppressed: true as const }, 200);
  });

  app.openapi(routes.reconcile, async (c) => {
    requireRole(c.get('principal'), 'admin');
    return c.json(await reminders.reconcile(), 200);
  });

  return app;
}
