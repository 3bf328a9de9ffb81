import { z } from 'zod';
import { defineEvent } from './define.js';

/** Accounts are owned by the identity provider (Auth0 on AWS, the built-in issuer standalone). */
export const AccountCreated = defineEvent(
  'identity',
  'AccountCreated',
  z.object({ userId: z.string(), email: z.email(), roles: z.array(z.enum(['admin', 'viewer'])) }),
);
/**
 * The viewer closed their account (a button on the account page; the identity provider owns
 * accounts, so it emits this). Consumers forget what they scheduled for the viewer.
 */
export const AccountClosed = defineEvent('identity', 'AccountClosed', z.object({ userId: z.string() }));
