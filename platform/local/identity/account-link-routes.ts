import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isAppError } from '#shared/errors.js';
import { newId } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import type { Mailer } from '#shared/ports/mailer.js';
import { pickLang } from '../site-page.js';
import type { AccountLinks } from './account-links.js';
import type { AccountStore } from './accounts.js';
import { Email, Password } from './accounts.js';
import { passwordResetEmail } from './emails.js';
import { readCookie, readForm, send } from './http-io.js';
import type { Frame, LinkProblem } from './pages.js';
import {
  emailChangedPage,
  errorMessage,
  errorPage,
  forgotPage,
  forgotSentPage,
  resetDonePage,
  resetLinkPage,
  resetPage,
} from './pages.js';
import type { SignInThrottle } from './throttle.js';

const ForgotForm = z.object({ email: z.string().max(1000) });
const ResetForm = z.object({
  token: z.string().max(200),
  password: z.string().max(1000),
  password_confirm: z.string().max(1000),
});

/**
 * The issuer's pages for emailed account links, outside any sign-in flow (a link may be opened
 * days later, in another browser):
 *   GET/POST <base>/password/forgot   ask for a reset link (the same answer for every address)
 *   GET/POST <base>/password/reset    the link's form: a new password, the link spent once
 *   GET      <base>/email/verify      confirms a new address asked for on the account page
 * Posts from another origin are refused (403) before anything is read.
 */
export function accountLinkRoutes(deps: {
  accounts: AccountStore;
  links: AccountLinks;
  throttle: SignInThrottle;
  mailer: Mailer;
  /** The issuer's public URL: emailed links are absolute on it. */
  issuerUrl: string;
  signInUrl: string;
  home: string;
  /** Signs every device of the account out (its issuer sessions and refresh tokens). */
  endSessions(accountId: string): void;
  logger: Logger;
}) {
  const { accounts, links, throttle, mailer, signInUrl, logger } = deps;
  const publicBase = deps.issuerUrl.replace(/\/+$/, '');
  const origin = new URL(publicBase).origin;
  const basePath = new URL(publicBase).pathname.replace(/\/+$/, '');

  const crossSite = (req: IncomingMessage) => {
    const from = req.headers.origin ?? (req.headers.referer ? safeOrigin(req.headers.referer) : undefined);
    return from !== undefined && from !== origin;
  };

  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const url = new URL(path, 'http://issuer.invalid');
    const queryLang = url.searchParams.get('lang') ?? undefined;
    const lang = pickLang(queryLang, readCookie(req, 'lang'));
    const frame: Frame = { lang, home: deps.home };
    const route = url.pathname;
    if (route !== '/password/forgot' && route !== '/password/reset' && route !== '/email/verify') return false;

    if (req.method === 'POST' && crossSite(req)) {
      send(res, 403, errorPage(frame, undefined));
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !(req.method === 'POST' && route !== '/email/verify')) {
      send(res, 405, errorPage(frame, undefined), { allow: route === '/email/verify' ? 'GET' : 'GET, POST' });
      return true;
    }

    if (route === '/password/forgot') {
      const view = {
        ...frame,
        action: `${basePath}/password/forgot?lang=${lang}`,
        langSwitchUrl: `${basePath}/password/forgot?lang=${lang === 'ja' ? 'en' : 'ja'}`,
      };
      if (req.method !== 'POST') {
        send(res, 200, forgotPage(view));
        return true;
      }
      const form = ForgotForm.safeParse(await readForm(req));
      const address = Email.safeParse(form.data?.email ?? '');
      if (!address.success) {
        send(
          res,
          400,
          forgotPage({ ...view, email: form.data?.email ?? '', error: errorMessage(lang, 'invalid_email') }),
        );
        return true;
      }
      const allowance = throttle.signUpAttempt(req.socket.remoteAddress ?? 'unknown');
      if (!allowance.allowed) {
        const minutes = Math.max(1, Math.ceil(allowance.retryAfterSeconds / 60));
        send(res, 429, forgotPage({ ...view, email: address.data, error: errorMessage(lang, 'too_many', minutes) }), {
          'retry-after': String(allowance.retryAfterSeconds),
        });
        return true;
      }
      // The answer does not wait for the email: a known and an unknown address look alike.
      send(res, 200, forgotSentPage(frame, address.data));
      const account = accounts.findByEmail(address.data);
      if (account) {
        const token = links.start('reset', account.id);
        const link = `${publicBase}/password/reset?token=${token}&lang=${lang}`;
        mailer
          .send(passwordResetEmail(lang, { id: `reset-${newId(Date.now())}`, to: account.email, link }))
          .catch((error: unknown) => logger.error('password reset email not sent', { err: error }));
      }
      return true;
    }

    if (route === '/password/reset') {
      const action = `${basePath}/password/reset?lang=${lang}`;
      if (req.method !== 'POST') {
        const token = url.searchParams.get('token') ?? '';
        const check = links.check('reset', token);
        if (!check.ok) return problem(res, frame, check.reason, 'reset');
        send(res, 200, resetPage({ ...frame, action, token }));
        return true;
      }
      const form = ResetForm.safeParse(await readForm(req));
      const token = form.data?.token ?? '';
      const again = (error: string) => send(res, 400, resetPage({ ...frame, action, token, error }));
      if (!form.success) return problem(res, frame, 'malformed', 'reset');
      // The link is checked before the password, so a forged token learns nothing from the form.
      const check = links.check('reset', token);
      if (!check.ok) return problem(res, frame, check.reason, 'reset');
      if (!Password.safeParse(form.data.password).success) return (again(errorMessage(lang, 'weak_password')), true);
      if (form.data.password !== form.data.password_confirm)
        return (again(errorMessage(lang, 'password_mismatch')), true);
      const spent = links.redeem('reset', token);
      if (!spent.ok) return problem(res, frame, spent.reason, 'reset');
      try {
        await accounts.setPassword(spent.accountId, form.data.password);
      } catch (error) {
        // Closed since the email: the link is spent and nothing else happens.
        if (isAppError(error) && error.code === 'not_found') return problem(res, frame, 'unknown', 'reset');
        throw error;
      }
      deps.endSessions(spent.accountId);
      logger.info('password reset', { accountId: spent.accountId });
      send(res, 200, resetDonePage(frame, signInUrl));
      return true;
    }

    // GET /email/verify: the new address proved it reads its mail.
    const spent = links.redeem('email', url.searchParams.get('token') ?? '');
    if (!spent.ok || !spent.detail) return problem(res, frame, spent.ok ? 'unknown' : spent.reason, 'email');
    try {
      accounts.changeEmail(spent.accountId, spent.detail);
    } catch (error) {
      if (isAppError(error) && (error.code === 'conflict' || error.code === 'not_found')) {
        send(
          res,
          409,
          errorPage(
            frame,
            lang === 'ja' ? 'このメールアドレスはすでに使われています。' : 'This email address is already in use.',
          ),
        );
        return true;
      }
      throw error;
    }
    deps.endSessions(spent.accountId);
    logger.info('email changed', { accountId: spent.accountId });
    send(res, 200, emailChangedPage(frame, spent.detail, signInUrl));
    return true;
  };

  function problem(res: ServerResponse, frame: Frame, reason: LinkProblem, kind: 'reset' | 'email') {
    const status = reason === 'used' || reason === 'expired' ? 410 : 400;
    const forgotUrl = `${basePath}/password/forgot?lang=${frame.lang}`;
    send(res, status, resetLinkPage(frame, reason, kind === 'reset' ? forgotUrl : undefined));
    return true;
  }
}

function safeOrigin(value: string): string | undefined {
  try {
    return new URL(value).origin;
  } catch {
    return 'null';
  }
}
