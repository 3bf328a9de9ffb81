import type { Role } from './token-verifier.js';

/** One account as the operator's user management shows it. */
export interface DirectoryUser {
  userId: string;
  email: string | null;
  roles: Role[];
  /** ISO time the account was created, when the provider says. */
  createdAt: string | null;
}

export interface DirectoryPage {
  users: DirectoryUser[];
  /** Opaque; pass back for the next page. Null on the last page. */
  nextCursor: string | null;
}

/**
 * The identity provider's accounts, for admins (list, search by email, grant or revoke the admin
 * role, close): the built-in issuer's account table standalone, Auth0's Management API on AWS.
 * Adapters translate; the rules (never leave the site without an admin) are the caller's.
 */
export interface UserDirectory {
  /** Accounts whose email contains `email` (case-insensitive), oldest first. */
  list(query: { email?: string; limit: number; cursor?: string }): Promise<DirectoryPage>;
  get(userId: string): Promise<DirectoryUser | undefined>;
  /** How many accounts hold the admin role now. */
  countAdmins(): Promise<number>;
  /** Grants (true) or revokes (false) the admin role; the answer is the account after. */
  setAdmin(userId: string, admin: boolean): Promise<DirectoryUser>;
  /** Deletes the account: sign-in and refresh fail from now on. False when it did not exist. */
  close(userId: string): Promise<boolean>;
}
