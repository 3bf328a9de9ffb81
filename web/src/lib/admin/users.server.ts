import { z } from 'zod';
import { api } from '$lib/server/api';
import type { ApiEvent } from '$lib/server/api';

export const DirectoryUser = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.string()),
  createdAt: z.string().nullable(),
});
export type DirectoryUser = z.infer<typeof DirectoryUser>;

const UsersPage = z.object({ items: z.array(DirectoryUser), nextCursor: z.string().nullable() });

/** `GET /api/entitlement/admin/users` (admins). */
export function listUsers(event: ApiEvent, query: { email?: string; cursor?: string }) {
  return api(event, '/api/entitlement/admin/users', { query: { limit: 50, ...query }, schema: UsersPage });
}

export function setAdmin(event: ApiEvent, userId: string, admin: boolean) {
  return api(event, `/api/entitlement/admin/users/${encodeURIComponent(userId)}/admin`, {
    json: { admin },
    schema: z.object({ user: DirectoryUser }),
  });
}

export function closeUser(event: ApiEvent, userId: string) {
  return api(event, `/api/entitlement/admin/users/${encodeURIComponent(userId)}/close`, { json: { confirm: 'close' } });
}
