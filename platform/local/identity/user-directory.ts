import { invalidInput, notFound } from '#shared/errors.js';
import type { DirectoryUser, UserDirectory } from '#shared/ports/user-directory.js';
import type { Account, AccountStore } from './accounts.js';
import { normaliseEmail } from './accounts.js';

const toUser = (account: Account): DirectoryUser => ({
  userId: account.id,
  email: account.email,
  roles: account.roles,
  createdAt: new Date(account.createdAt).toISOString(),
});

/**
 * The built-in issuer's accounts as the admin's user directory: the same account table and the
 * same `setRoles`/`remove` the `kinema users` CLI uses, so a role granted on the web is the one the
 * next sign-in or refresh puts in the access token. A standalone site has a few thousand accounts
 * at most, so search filters the table in memory; the cursor is an offset.
 */
export function localUserDirectory(accounts: AccountStore): UserDirectory {
  return {
    async list({ email, limit, cursor }) {
      const needle = email ? normaliseEmail(email) : '';
      const matching = accounts.list().filter((account) => account.email.includes(needle));
      if (cursor !== undefined && !/^\d{1,9}$/.test(cursor)) throw invalidInput('invalid cursor');
      const offset = cursor ? Number(cursor) : 0;
      const users = matching.slice(offset, offset + limit).map(toUser);
      const next = offset + users.length;
      return { users, nextCursor: next < matching.length ? String(next) : null };
    },
    async get(userId) {
      const account = accounts.findById(userId);
      return account ? toUser(account) : undefined;
    },
    async countAdmins() {
      return accounts.list().filter((account) => account.roles.includes('admin')).length;
    },
    async setAdmin(userId, admin) {
      const account = accounts.findById(userId);
      if (!account) throw notFound('account');
      const others = account.roles.filter((role) => role !== 'admin');
      // Everyone who can sign in is a viewer; an account is never left without a role.
      const roles = admin
        ? [...new Set([...others, 'admin' as const])]
        : others.length > 0
          ? others
          : ['viewer' as const];
      return toUser(accounts.setRoles(userId, roles));
    },
    async close(userId) {
      return accounts.remove(userId);
    },
  };
}
