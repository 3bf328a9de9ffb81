import { conflict, invalidInput, notFound } from '#shared/errors.js';
import { newId } from '#shared/ids.js';
import type { Mailer } from '#shared/ports/mailer.js';
import type { Lang } from '../site-page.js';
import type { AccountLinks } from './account-links.js';
import type { AccountStore } from './accounts.js';
import { Email, Password } from './accounts.js';
import { emailChangeEmail } from './emails.js';

/** What a signed-in person may change about their own account (the identity API's routes). */
export interface SelfService {
  /** The current password is required; every other device is signed out. */
  changePassword(accountId: string, input: { currentPassword: string; newPassword: string }): Promise<void>;
  /** Emails a confirmation link to the new address; the change happens when it is followed. */
  requestEmailChange(accountId: string, input: { email: string; lang: Lang }): Promise<{ sentTo: string }>;
}

export function selfService(deps: {
  accounts: AccountStore;
  links: AccountLinks;
  mailer: Mailer;
  issuerUrl: string;
  endSessions(accountId: string): void;
  now: () => number;
}): SelfService {
  const { accounts, links, mailer, now } = deps;
  const publicBase = deps.issuerUrl.replace(/\/+$/, '');
  return {
    async changePassword(accountId, input) {
      // The same scrypt work whether or not the account still exists.
      if (!(await accounts.passwordMatches(accountId, input.currentPassword))) {
        throw invalidInput('the current password is not correct', [
          { path: ['currentPassword'], code: 'wrong_password', message: 'the current password is not correct' },
        ]);
      }
      const next = Password.safeParse(input.newPassword);
      if (!next.success) {
        throw invalidInput('the new password must be 8 to 128 characters', [
          { path: ['newPassword'], code: 'weak_password', message: 'the new password must be 8 to 128 characters' },
        ]);
      }
      await accounts.setPassword(accountId, next.data);
      deps.endSessions(accountId);
    },

    async requestEmailChange(accountId, input) {
      const account = accounts.findById(accountId);
      if (!account) throw notFound('account');
      const address = Email.safeParse(input.email);
      if (!address.success) {
        throw invalidInput('enter a valid email address', [
          { path: ['email'], code: 'invalid_email', message: 'enter a valid email address' },
        ]);
      }
      if (address.data === account.email) {
        throw invalidInput('this is already your email address', [
          { path: ['email'], code: 'same_email', message: 'this is already your email address' },
        ]);
      }
      // Taken is said plainly here: the person is signed in, and the link would fail anyway.
      if (accounts.findByEmail(address.data)) throw conflict('an account with this email already exists');
      const token = links.start('email', accountId, address.data);
      const link = `${publicBase}/email/verify?token=${token}&lang=${input.lang}`;
      await mailer.send(emailChangeEmail(input.lang, { id: `email-${newId(now())}`, to: address.data, link }));
      return { sentTo: address.data };
    },
  };
}
