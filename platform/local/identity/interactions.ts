import type { IncomingMessage, ServerResponse } from 'node:http';
import { pickLang } from '../site-page.js';
import { readCookie, readForm, send } from './http-io.js';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { isAppError } from '#shared/errors.js';
import { newId } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import type { Mailer } from '#shared/ports/mailer.js';
import type { AccountStore } from './accounts.js';
import { Email, Password, normaliseEmail } from './accounts.js';
import { signUpLinkEmail, signUpTakenEmail } from './emails.js';
import {
  accountExistsPage,
  accountReadyPage,
  errorPage,
  mailFailedPage,
  signInPage,
  signUpLinkPage,
  signUpPage,
  signUpSentPage,
} from './pages.js';
import type { FormError, Lang } from './pages.js';
import { errorMessage } from './pages.js';
import { hashPassword } from './password.js';
import type { PendingSignUps } from './signups.js';
import type { SignInThrottle } from './throttle.js';

const SignInForm = z.object({ email: z.string().max(1000), password: z.string().max(1000) });
const SignUpForm = z.object({
  email: z.string().max(1000),
  password: z.string().max(1000),
  password_confirm: z.string().max(1000),
});

/**
 * The issuer's interaction endpoints (`<base>/interaction/:uid[/signin|/signup|/verify]`): the
 * sign-in and sign-up forms, the emailed sign-up link, and automatic consent for the first-party
 * clients. CSRF: a form post only counts with the provider's same-site interaction cookie, and
 * that cookie must name the uid in the URL.
 *
 * Sign-up never says whether an address has an account: every valid form gets the same "we sent
 * you a link" page after the same work (a scrypt hash, one email). A new address gets a link that
 * creates the account; a taken one gets a notice to its owner instead.
 */
export function interactionRoutes(deps: {
  provider: Provider;
  accounts: AccountStore;
  throttle: SignInThrottle;
  signUps: PendingSignUps;
  mailer: Mailer;
  /** The issuer's public URL (`https://host/oidc`): emailed links are absolute on it. */
  issuerUrl: string;
  /** Where "sign in" links go: the site's own sign-in, which starts a fresh authorisation. */
  signInUrl: string;
  /** The site's home page: the logo and the way back on every page. */
  home: string;
  now: () => number;
  logger: Logger;
}) {
  const { provider, accounts, throttle, signUps, mailer, signInUrl, home, now, logger } = deps;
  const frame = (lang: Lang) => ({ lang, home });
  const publicBase = deps.issuerUrl.replace(/\/+$/, '');
  const basePath = new URL(publicBase).pathname.replace(/\/+$/, '');

  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const url = new URL(path, 'http://issuer.invalid');
    const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(signin|signup|verify))?$/.exec(url.pathname);
    const queryLang = url.searchParams.get('lang') ?? undefined;
    const cookieLang = readCookie(req, 'lang');
    if (!match) {
      send(res, 404, errorPage(frame(pickLang(queryLang, cookieLang)), undefined));
      return;
    }
    const uid = match[1]!;
    const action = match[2];

    // The emailed link works in any browser, with or without this interaction's cookie.
    if (action === 'verify') {
      if (req.method !== 'GET') {
        send(res, 405, errorPage(frame(pickLang(queryLang, cookieLang)), undefined), { allow: 'GET' });
        return;
      }
      await verify(uid, url.searchParams.get('token') ?? '', pickLang(queryLang, cookieLang));
      return;
    }

    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) throw new Error('interaction uid mismatch');
    } catch {
      // No interaction cookie (cross-site post, other browser, a replayed form) or an expired
      // flow: nothing happens here. The site starts a fresh sign-in once (`?retry=1`); a second
      // failure there shows its own page with a way back.
      res.writeHead(303, { location: `${signInUrl}?retry=1`, 'cache-control': 'no-store' });
      res.end();
      return;
    }

    const uiLocales = typeof details.params.ui_locales === 'string' ? details.params.ui_locales : undefined;
    const lang = pickLang(queryLang, cookieLang, uiLocales);
    const headers: Record<string, string> = {};
    if (queryLang === 'ja' || queryLang === 'en') {
      headers['set-cookie'] = `lang=${queryLang}; Path=/; Max-Age=31536000; SameSite=Lax`;
    }
    const self = `${basePath}/interaction/${uid}`;
    const views = (screen: 'signin' | 'signup', email?: string, error?: string) => {
      const other = screen === 'signin' ? 'signup' : 'signin';
      const view = {
        ...frame(lang),
        action: `${self}/${screen}`,
        forgotUrl: `${basePath}/password/forgot?lang=${lang}`,
        otherFormUrl: `${self}?screen=${other}`,
        langSwitchUrl: `${self}?screen=${screen}&lang=${lang === 'ja' ? 'en' : 'ja'}`,
        email,
        error,
      };
      return screen === 'signin' ? signInPage(view) : signUpPage(view);
    };

    if (details.prompt.name === 'consent') {
      await grantConsent(details);
      return;
    }
    if (details.prompt.name !== 'login') {
      logger.warn('unexpected interaction prompt', { prompt: details.prompt.name });
      send(res, 400, errorPage(frame(lang), undefined, `${signInUrl}?retry=1`));
      return;
    }

    if (req.method === 'GET' && !action) {
      const asked = url.searchParams.get('screen');
      const screen = asked === 'signup' || asked === 'signin' ? asked : undefined;
      const hint = details.params.screen_hint === 'signup' ? 'signup' : 'signin';
      const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
      send(res, 200, views(screen ?? hint, loginHint), headers);
      return;
    }
    if (req.method !== 'POST' || !action) {
      send(res, 405, errorPage(frame(lang), undefined), { allow: 'GET, POST' });
      return;
    }

    const form = await readForm(req);
    const fail = (status: number, screen: 'signin' | 'signup', error: FormError, email: string, minutes?: number) =>
      send(res, status, views(screen, email, errorMessage(lang, error, minutes)));
    const client = req.socket.remoteAddress ?? 'unknown';
    const tooMany = (screen: 'signin' | 'signup', email: string, retryAfterSeconds: number) =>
      send(
        res,
        429,
        views(screen, email, errorMessage(lang, 'too_many', Math.max(1, Math.ceil(retryAfterSeconds / 60)))),
        { 'retry-after': String(retryAfterSeconds) },
      );

    if (action === 'signin') {
      const input = SignInForm.safeParse(form);
      if (!input.success || !input.data.email || !input.data.password) {
        fail(400, 'signin', 'missing_fields', input.data?.email ?? '');
        return;
      }
      const { email, password } = input.data;
      const who = normaliseEmail(email);
      // The same decision, wait and answer for every email, registered or not.
      const decision = throttle.beforeSignIn(who, client);
      if (!decision.allowed) return tooMany('signin', email, decision.retryAfterSeconds);
      if (decision.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.slowMs));
      const check = await accounts.verifyPassword(email, password);
      if (!check.ok) {
        throttle.signInFailed(who, client);
        fail(401, 'signin', check.reason, email);
        return;
      }
      throttle.signInSucceeded(who, client);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: check.account.id } },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    const input = SignUpForm.safeParse(form);
    if (!input.success || !input.data.email || !input.data.password || !input.data.password_confirm) {
      fail(400, 'signup', 'missing_fields', input.data?.email ?? '');
      return;
    }
    const { email, password, password_confirm: confirm } = input.data;
    const allowance = throttle.signUpAttempt(client);
    if (!allowance.allowed) return tooMany('signup', email, allowance.retryAfterSeconds);
    const address = Email.safeParse(email);
    if (!address.success) return fail(400, 'signup', 'invalid_email', email);
    if (!Password.safeParse(password).success) return fail(400, 'signup', 'weak_password', email);
    if (password !== confirm) return fail(400, 'signup', 'password_mismatch', email);
    const to = address.data;
    // The same work for a taken and a new address: one scrypt hash, one email, one page.
    const passwordHash = await hashPassword(password);
    const id = `signup-${newId(now())}`;
    const message = accounts.findByEmail(to)
      ? signUpTakenEmail(lang, { id, to, signInUrl })
      : signUpLinkEmail(lang, {
          id,
          to,
          // The language rides along: the link may be opened in a browser without the lang cookie.
          link: `${publicBase}/interaction/${uid}/verify?token=${signUps.start({ email: to, passwordHash, interactionUid: uid })}&lang=${lang}`,
        });
    try {
      await mailer.send(message);
    } catch (error) {
      logger.error('sign-up email not sent', { err: error });
      send(res, 503, mailFailedPage(frame(lang)));
      return;
    }
    send(res, 200, signUpSentPage(frame(lang), to), headers);

    /** Follows an emailed link: creates the account once, then finishes the sign-in if it is still open here. */
    async function verify(uid: string, token: string, lang: Lang): Promise<void> {
      const redemption = signUps.redeem(token, uid);
      if (!redemption.ok) {
        const status = redemption.reason === 'used' || redemption.reason === 'expired' ? 410 : 400;
        send(res, status, signUpLinkPage(frame(lang), redemption.reason));
        return;
      }
      let accountId: string;
      try {
        const { email, passwordHash } = redemption.signUp;
        accountId = accounts.createWithPasswordHash({ email, passwordHash, roles: ['viewer'] }).id;
      } catch (error) {
        if (isAppError(error) && error.code === 'conflict') {
          send(res, 409, accountExistsPage(frame(lang), signInUrl));
          return;
        }
        throw error;
      }
      logger.info('account created', { accountId });
      let alive = false;
      try {
        const details = await provider.interactionDetails(req, res);
        alive = details.uid === uid && details.prompt.name === 'login';
      } catch {
        // Another browser, or the sign-in expired: the account exists all the same.
      }
      if (!alive) {
        send(res, 200, accountReadyPage(frame(lang), signInUrl));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    }

    /** First-party clients only: grant what the provider says is missing, without asking. */
    async function grantConsent(interaction: typeof details): Promise<void> {
      const { prompt, params, session } = interaction;
      const clientId = typeof params.client_id === 'string' ? params.client_id : undefined;
      if (!session?.accountId || !clientId) throw new Error('consent without a session or client');
      const grant = interaction.grantId
        ? await provider.Grant.find(interaction.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId });
      if (!grant) throw new Error('grant of the interaction not found');
      const missing = prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
  };
}
