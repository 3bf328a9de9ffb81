import { AppError } from '#shared/errors.js';

/**
 * The rule of user management: the site is never left without an admin. Revoking the admin role
 * (one's own included) or closing an admin's account is refused when it would leave none, and an
 * admin closes their own account from their account page, not from user management.
 */
export function checkAdminChange(input: {
  actorId: string;
  targetId: string;
  targetIsAdmin: boolean;
  change: 'revoke_admin' | 'close';
  /** Admins now, the target included. */
  adminCount: number;
}): void {
  if (input.change === 'close' && input.actorId === input.targetId) {
    throw new AppError('conflict', 'close your own account from your account page', { reason: 'own_account' });
  }
  if (input.targetIsAdmin && input.adminCount <= 1) {
    throw new AppError(
      'conflict',
      input.actorId === input.targetId
        ? 'you are the last admin: grant the admin role to someone else first'
        : 'this is the last admin: grant the admin role to someone else first',
      { reason: 'last_admin' },
    );
  }
}
