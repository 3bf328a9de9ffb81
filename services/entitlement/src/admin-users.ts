import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { AccountClosed } from '#shared/events/identity.js';
import { AppError, notFound } from '#shared/errors.js';
import type { ServiceApp } from '#shared/http/app.js';
import { adminOnly, requirePrincipal } from '#shared/http/auth.js';
import { bearer, errors, JSON_BODY_ERRORS, jsonRequest } from '#shared/http/openapi.js';
import type { Table } from '#shared/ports/table.js';
import type { UserDirectory } from '#shared/ports/user-directory.js';
import { checkAdminChange } from './domain/admins.js';

/** Local ids (`01j…`) and Auth0's (`auth0|64f…`, `google-oauth2|1…`). */
const UserParams = z.object({
  userId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9|_.:@-]*$/, 'a user id'),
});
const UsersQuery = z.object({
  email: z.string().trim().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(1024).optional(),
});
const AdminBody = z.object({ admin: z.boolean() }).strict();
const CloseBody = z.object({ confirm: z.literal('close') }).strict();

const User = z
  .object({
    userId: z.string(),
    email: z.string().nullable(),
    roles: z.array(z.enum(['admin', 'viewer'])),
    createdAt: z.string().nullable(),
  })
  .meta({ id: 'DirectoryUser' });
const userResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: z.object({ user: User }) } },
});

/**
 * User management for admins, through the identity provider's directory (the `UserDirectory`
 * port). The never-without-an-admin rule is `checkAdminChange`; refusals are 409 `conflict` with
 * `details.reason` `last_admin` or `own_account`.
 */
export function adminUserRoutes(app: ServiceApp, deps: { users?: UserDirectory; table: Table; now: () => number }) {
  const directory = () => {
    if (!deps.users) throw new AppError('unavailable', 'user management is not configured on this server');
    return deps.users;
  };
  const existing = async (userId: string) => {
    const user = await directory().get(userId);
    if (!user) throw notFound('account');
    return user;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/users',
      summary: 'Accounts, oldest first; `email` searches by part of the address (admin)',
      security: bearer,
      middleware: [adminOnly],
      request: { query: UsersQuery },
      responses: {
        200: {
          description: 'a page of accounts',
          content: {
            'application/json': { schema: z.object({ items: z.array(User), nextCursor: z.string().nullable() }) },
          },
        },
        ...errors('invalid_input', 'unauthorized', 'forbidden', 'unavailable'),
      },
    }),
    async (c) => {
      const { email, limit, cursor } = c.req.valid('query');
      const page = await directory().list({
        limit,
        ...(email ? { email } : {}),
        ...(cursor ? { cursor } : {}),
      });
      c.header('Cache-Control', 'private, no-store');
      return c.json({ items: page.users, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/users/{userId}/admin',
      summary: 'Grant (`{"admin": true}`) or revoke (`false`) the admin role (admin)',
      description: 'Refused with 409 `last_admin` when it would leave the site without an admin.',
      security: bearer,
      middleware: [adminOnly],
      request: { params: UserParams, body: jsonRequest(AdminBody) },
      responses: {
        200: userResponse('the account after the change'),
        ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden', 'not_found', 'conflict', 'unavailable'),
      },
    }),
    async (c) => {
      const actor = requirePrincipal(c.get('principal'));
      const { userId } = c.req.valid('param');
      const { admin } = c.req.valid('json');
      const target = await existing(userId);
      const isAdmin = target.roles.includes('admin');
      if (isAdmin === admin) return c.json({ user: target }, 200);
      if (!admin) {
        checkAdminChange({
          actorId: actor.userId,
          targetId: userId,
          targetIsAdmin: true,
          change: 'revoke_admin',
          adminCount: await directory().countAdmins(),
        });
      }
      return c.json({ user: await directory().setAdmin(userId, admin) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/users/{userId}/close',
      summary: 'Close an account: `identity.AccountClosed` is emitted, then the account is deleted (admin)',
      description:
        'Receipts (the payments ledger) are kept, as Japanese tax law asks. Refused with 409 `own_account` ' +
        "for the admin's own account and `last_admin` for the last admin.",
      security: bearer,
      middleware: [adminOnly],
      request: { params: UserParams, body: jsonRequest(CloseBody, '`{"confirm": "close"}`') },
      responses: {
        200: {
          description: 'closed',
          content: { 'application/json': { schema: z.object({ closed: z.literal(true) }) } },
        },
        ...errors(...JSON_BODY_ERRORS, 'unauthorized', 'forbidden', 'not_found', 'conflict', 'unavailable'),
      },
    }),
    async (c) => {
      const actor = requirePrincipal(c.get('principal'));
      const { userId } = c.req.valid('param');
      const target = await existing(userId);
      const targetIsAdmin = target.roles.includes('admin');
      checkAdminChange({
        actorId: actor.userId,
        targetId: userId,
        targetIsAdmin,
        change: 'close',
        adminCount: targetIsAdmin ? await directory().countAdmins() : 0,
      });
      // The event first (through this service's outbox), the account second: a crash between them
      // leaves an open account whose reminders are gone, which a second click finishes; never a
      // closed account with live schedules.
      await deps.table.transact([], { events: [AccountClosed.create({ userId }, deps.now())] });
      await directory().close(userId);
      return c.json({ closed: true as const }, 200);
    },
  );
}
