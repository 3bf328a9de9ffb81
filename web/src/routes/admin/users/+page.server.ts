import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { closeUser, listUsers, setAdmin } from '$lib/admin/users.server';
import type { DirectoryUser } from '$lib/admin/users.server';
import { ApiError } from '$lib/server/api';
import { readForm } from '$lib/server/form';
import type { Actions, PageServerLoad } from './$types';

const Search = z.object({
  email: z.string().trim().max(254).optional().catch(undefined),
  cursor: z.string().max(1024).optional().catch(undefined),
});
const Target = z.object({ userId: z.string().min(1).max(128), email: z.string().max(254).default('') });

/** User management: list and search accounts (the layout already let only admins in). */
export const load: PageServerLoad = async (event) => {
  await event.parent();
  const search = Search.parse(Object.fromEntries(event.url.searchParams));
  let users: DirectoryUser[] = [];
  let nextCursor: string | null = null;
  let loadError: string | null = null;
  try {
    const page = await listUsers(event, {
      ...(search.email ? { email: search.email } : {}),
      ...(search.cursor ? { cursor: search.cursor } : {}),
    });
    users = page.items;
    nextCursor = page.nextCursor;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    loadError = error.message;
  }
  return { users, nextCursor, email: search.email ?? '', me: event.locals.user?.sub ?? null, loadError };
};

/** Why the API refused, as the page explains it. */
function refusal(error: unknown) {
  if (!(error instanceof ApiError)) throw error;
  const reason = z.object({ reason: z.string() }).safeParse(error.details).data?.reason;
  if (reason === 'last_admin' || reason === 'own_account') return fail(409, { refused: reason });
  return fail(error.status >= 500 ? 503 : error.status, { refused: 'failed' as const });
}

const target = async (request: Request) => {
  const parsed = Target.safeParse(Object.fromEntries(await readForm(request)));
  return parsed.success ? parsed.data : undefined;
};

export const actions: Actions = {
  grant: async (event) => {
    const input = await target(event.request);
    if (!input) return fail(400, { refused: 'failed' as const });
    try {
      const { user } = await setAdmin(event, input.userId, true);
      return { granted: user.email ?? input.email };
    } catch (error) {
      return refusal(error);
    }
  },
  revoke: async (event) => {
    const input = await target(event.request);
    if (!input) return fail(400, { refused: 'failed' as const });
    try {
      const { user } = await setAdmin(event, input.userId, false);
      return { revoked: user.email ?? input.email };
    } catch (error) {
      return refusal(error);
    }
  },
  close: async (event) => {
    const input = await target(event.request);
    if (!input) return fail(400, { refused: 'failed' as const });
    try {
      await closeUser(event, input.userId);
      return { closed: true };
    } catch (error) {
      return refusal(error);
    }
  },
};
