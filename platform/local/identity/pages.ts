/**
 * The issuer's own pages, rendered on the server in the site's look (`#platform/local/site-page.ts`):
 * sign-in, sign-up, sign-out, forgotten password and errors. Japanese by default, English on
 * request. No script except the sign-out page's auto-submit, allowed by its hash.
 */
import { createHash } from 'node:crypto';
import { escapeHtml, sitePage } from '../site-page.js';
import type { Lang } from '../site-page.js';
import { text } from './page-text.js';

export { escapeHtml };
export type { Lang };
export type FormError =
  | 'wrong_credentials'
  | 'too_many'
  | 'email_taken'
  | 'weak_password'
  | 'password_mismatch'
  | 'invalid_email'
  | 'missing_fields';

export function errorMessage(lang: Lang, error: FormError, waitMinutes = 15): string {
  const message = text[lang].errors[error];
  return typeof message === 'function' ? message(waitMinutes) : message;
}

/** What every page needs besides its body: its language and the site's home. */
export interface Frame {
  lang: Lang;
  /** The site's home page (`https://host/`). */
  home: string;
}

function page(frame: Frame, title: string, body: string, langSwitchUrl?: string, head?: string): string {
  return sitePage({
    lang: frame.lang,
    title,
    body,
    home: frame.home,
    ...(langSwitchUrl ? { langSwitchUrl } : {}),
    ...(head ? { head } : {}),
  });
}

const alert = (message: string | undefined) =>
  message ? `<p class="alert" role="alert" id="form-error">${escapeHtml(message)}</p>` : '';

export interface FormPage extends Frame {
  action: string;
  /** The other form (sign-up from sign-in and back). */
  otherFormUrl: string;
  langSwitchUrl: string;
  /** The forgotten-password form (sign-in only). */
  forgotUrl?: string;
  email?: string;
  error?: string;
}

export function signInPage(view: FormPage): string {
  const t = text[view.lang];
  const described = view.error ? ' aria-describedby="form-error"' : '';
  const forgot = view.forgotUrl
    ? `<p class="switch"><a href="${escapeHtml(view.forgotUrl)}" data-testid="forgot-password">${t.forgotLink}</a></p>`
    : '';
  return page(
    view,
    t.signinTitle,
    `<h1>${t.signinTitle}</h1>
<p class="lead">${t.signinLead}</p>
${alert(view.error)}
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<label for="email">${t.email}</label>
<input id="email" name="email" type="email" autocomplete="username" inputmode="email" required autofocus value="${escapeHtml(view.email ?? '')}"${described}>
<label for="password">${t.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<button type="submit" data-testid="signin-submit">${t.signinSubmit}</button>
</form>
${forgot}
<p class="switch">${t.toSignup} <a href="${escapeHtml(view.otherFormUrl)}" data-testid="to-signup">${t.toSignupLink}</a></p>`,
    view.langSwitchUrl,
  );
}

export function signUpPage(view: FormPage): string {
  const t = text[view.lang];
  const described = view.error ? ' aria-describedby="form-error password-hint"' : ' aria-describedby="password-hint"';
  return page(
    view,
    t.signupTitle,
    `<h1>${t.signupTitle}</h1>
<p class="lead">${t.signupLead}</p>
${alert(view.error)}
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<label for="email">${t.email}</label>
<input id="email" name="email" type="email" autocomplete="email" inputmode="email" required autofocus value="${escapeHtml(view.email ?? '')}">
<label for="password">${t.password}</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required${described}>
<p class="hint" id="password-hint">${t.passwordHint}</p>
<label for="password_confirm">${t.passwordConfirm}</label>
<input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" minlength="8" maxlength="128" required>
<button type="submit" data-testid="signup-submit">${t.signupSubmit}</button>
</form>
<p class="switch">${t.toSignin} <a href="${escapeHtml(view.otherFormUrl)}" data-testid="to-signin">${t.toSigninLink}</a></p>`,
    view.langSwitchUrl,
  );
}

/**
 * The sign-out page submits itself: the person already chose "sign out" on the site, and the
 * request carries the site's id_token_hint (RP-initiated logout), so asking again would be the
 * second question the issue complains about. The script is allowed by its hash alone; without
 * script the button does the same in one click.
 */
const AUTO_SUBMIT = `document.getElementById('op.logoutForm').submit();`;
export const LOGOUT_SCRIPT_HASH = `sha256-${createHash('sha256').update(AUTO_SUBMIT).digest('base64')}`;

/** `form` is oidc-provider's hidden logout form (it carries the xsrf token). */
export function logoutPage(frame: Frame, form: string): string {
  const t = text[frame.lang];
  // "yes": end the issuer's session too, not just this client's.
  const signOutEverywhere = form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
  return page(
    frame,
    t.logoutTitle,
    `<h1>${t.signingOut}</h1>
${signOutEverywhere}
<button type="submit" form="op.logoutForm" data-testid="signout-confirm">${t.logoutYes}</button>
<script>${AUTO_SUBMIT}</script>`,
  );
}

export function loggedOutPage(frame: Frame): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.loggedOutTitle,
    `<h1>${t.loggedOutTitle}</h1><p class="lead">${t.loggedOutLead}</p>
<a class="button" href="${escapeHtml(frame.home)}">${CHROME_HOME[frame.lang]}</a>`,
  );
}

const CHROME_HOME = { ja: 'ホームへ', en: 'Go to the home page' } as const;

/** An error in the site's look, with a fresh start when one helps (`restartUrl`) and the way home. */
export function errorPage(frame: Frame, detail: string | undefined, restartUrl?: string): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.errorTitle,
    `<h1>${t.errorTitle}</h1>
<p class="lead">${t.errorLead}</p>
${detail ? `<p class="alert" role="alert" data-testid="issuer-error">${escapeHtml(detail)}</p>` : ''}
${restartUrl ? `<a class="button" href="${escapeHtml(restartUrl)}" data-testid="signin-again">${t.startAgain}</a>` : ''}`,
  );
}

export function expiredText(lang: Lang): string {
  return text[lang].expired;
}

/** After a sign-up form: the same page whether or not the address already has an account. */
export function signUpSentPage(frame: Frame, email: string): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.sentTitle,
    `<h1>${t.sentTitle}</h1>
<p class="lead" data-testid="signup-sent">${escapeHtml(t.sentLead(email))}</p>
<p class="hint">${t.sentHint}</p>`,
  );
}

export function mailFailedPage(frame: Frame): string {
  return errorPage(frame, text[frame.lang].mailFailed);
}

/** The emailed link worked but this browser's sign-in has gone (another device, or it expired). */
export function accountReadyPage(frame: Frame, signInUrl: string): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.readyTitle,
    `<h1>${t.readyTitle}</h1>
<p class="lead">${t.readyLead}</p>
<a class="button" href="${escapeHtml(signInUrl)}" data-testid="account-ready-signin">${t.toSigninButton}</a>`,
  );
}

/** The address got an account between the form and the link: nothing was created. */
export function accountExistsPage(frame: Frame, signInUrl: string): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.existsTitle,
    `<h1>${t.existsTitle}</h1>
<p class="lead">${t.existsLead}</p>
<a class="button" href="${escapeHtml(signInUrl)}" data-testid="account-exists-signin">${t.toSigninButton}</a>`,
  );
}

export type LinkProblem = 'malformed' | 'unknown' | 'used' | 'expired';

export function signUpLinkPage(frame: Frame, problem: LinkProblem): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.linkTitle,
    `<h1>${t.linkTitle}</h1>
<p class="alert" role="alert" data-testid="signup-link-problem">${t.linkErrors[problem]}</p>`,
  );
}

/** The forgotten-password form: one email address. */
export function forgotPage(view: Frame & { action: string; langSwitchUrl: string; email?: string; error?: string }) {
  const t = text[view.lang];
  return page(
    view,
    t.forgotTitle,
    `<h1>${t.forgotTitle}</h1>
<p class="lead">${t.forgotLead}</p>
${alert(view.error)}
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<label for="email">${t.email}</label>
<input id="email" name="email" type="email" autocomplete="username" inputmode="email" required autofocus value="${escapeHtml(view.email ?? '')}">
<button type="submit" data-testid="forgot-submit">${t.forgotSubmit}</button>
</form>`,
    view.langSwitchUrl,
  );
}

/** After the forgotten-password form: the same words whether or not the address has an account. */
export function forgotSentPage(frame: Frame, email: string): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.sentTitle,
    `<h1>${t.sentTitle}</h1>
<p class="lead" data-testid="forgot-sent">${escapeHtml(t.forgotSent(email))}</p>
<p class="hint">${t.sentHint}</p>`,
  );
}

/** The emailed link's form: the token rides in a hidden field, never in a log line of a POST. */
export function resetPage(view: Frame & { action: string; token: string; error?: string }) {
  const t = text[view.lang];
  const described = view.error ? ' aria-describedby="form-error password-hint"' : ' aria-describedby="password-hint"';
  return page(
    view,
    t.resetTitle,
    `<h1>${t.resetTitle}</h1>
<p class="lead">${t.resetLead}</p>
${alert(view.error)}
<form method="post" action="${escapeHtml(view.action)}" novalidate>
<input type="hidden" name="token" value="${escapeHtml(view.token)}">
<label for="password">${t.newPassword}</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required autofocus${described}>
<p class="hint" id="password-hint">${t.passwordHint}</p>
<label for="password_confirm">${t.passwordConfirm}</label>
<input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" minlength="8" maxlength="128" required>
<button type="submit" data-testid="reset-submit">${t.resetSubmit}</button>
</form>`,
  );
}

export function resetDonePage(frame: Frame, signInUrl: string): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.resetDoneTitle,
    `<h1>${t.resetDoneTitle}</h1>
<p class="lead" data-testid="reset-done">${t.resetDoneLead}</p>
<a class="button" href="${escapeHtml(signInUrl)}" data-testid="reset-signin">${t.toSigninButton}</a>`,
  );
}

/** A reset link (with a way to ask again) or an address link (`forgotUrl` undefined) that cannot be used. */
export function resetLinkPage(frame: Frame, problem: LinkProblem, forgotUrl: string | undefined): string {
  const t = text[frame.lang];
  const message = forgotUrl ? t.resetLinkErrors[problem] : t.emailLinkErrors[problem];
  return page(
    frame,
    t.linkTitle,
    `<h1>${t.linkTitle}</h1>
<p class="alert" role="alert" data-testid="reset-link-problem">${message}</p>
${forgotUrl ? `<a class="button" href="${escapeHtml(forgotUrl)}">${t.forgotAgain}</a>` : ''}`,
  );
}

/** The new address is confirmed; every device signs in again with it. */
export function emailChangedPage(frame: Frame, email: string, signInUrl: string): string {
  const t = text[frame.lang];
  return page(
    frame,
    t.emailChangedTitle,
    `<h1>${t.emailChangedTitle}</h1>
<p class="lead" data-testid="email-changed">${escapeHtml(t.emailChangedLead(email))}</p>
<a class="button" href="${escapeHtml(signInUrl)}">${t.toSigninButton}</a>`,
  );
}
