/**
 * The issuer's own pages, rendered on the server: sign-in, sign-up, sign-out and errors. Japanese
 * by default, English on request. No script, no external resource: they work with any CSP.
 */

export type Lang = 'ja' | 'en';

export type FormError =
  | 'wrong_credentials'
  | 'too_many'
  | 'email_taken'
  | 'weak_password'
  | 'password_mismatch'
  | 'invalid_email'
  | 'missing_fields';

const text = {
  ja: {
    signinTitle: 'サインイン',
    signupTitle: 'アカウントを作成',
    signinLead: 'Kinema のアカウントでサインインしてください。',
    signupLead: 'メールアドレスとパスワードを登録してください。',
    email: 'メールアドレス',
    password: 'パスワード',
    passwordConfirm: 'パスワード（確認）',
    passwordHint: '8 文字以上 128 文字以下',
    signinSubmit: 'サインイン',
    signupSubmit: 'アカウントを作成',
    toSignup: 'アカウントをお持ちでない方は',
    toSignupLink: '新規登録',
    toSignin: 'すでにアカウントをお持ちの方は',
    toSigninLink: 'サインイン',
    switchLang: 'English',
    logoutTitle: 'サインアウトしますか？',
    logoutYes: 'サインアウト',
    logoutNo: 'キャンセル',
    loggedOutTitle: 'サインアウトしました',
    loggedOutLead: 'またのご利用をお待ちしています。',
    errorTitle: 'エラーが発生しました',
    errorLead: 'もう一度最初からお試しください。',
    sentTitle: 'メールを確認してください',
    sentLead: (email: string) =>
      `${email} 宛てに、アカウントの作成を完了するためのリンクを送りました。リンクの有効期限は 30 分です。`,
    sentHint: 'メールが届かない場合は、迷惑メールフォルダを確認するか、もう一度お試しください。',
    mailFailed: 'メールを送信できませんでした。しばらくしてからもう一度お試しください。',
    readyTitle: 'アカウントの準備ができました',
    readyLead: 'サインインして Kinema をお楽しみください。',
    existsTitle: 'アカウントはすでにあります',
    existsLead: 'このメールアドレスのアカウントはすでに作成されています。サインインしてください。',
    toSigninButton: 'サインインへ',
    linkTitle: 'このリンクは使えません',
    linkErrors: {
      malformed: 'このリンクは無効です。メールのリンクをそのまま開いてください。',
      unknown: 'このリンクは無効です。メールのリンクをそのまま開いてください。',
      used: 'このリンクはすでに使われています。アカウントが作成済みならサインインしてください。',
      expired: 'このリンクの有効期限（30 分）が切れています。もう一度アカウントを作成してください。',
    },
    errors: {
      wrong_credentials: 'メールアドレスまたはパスワードが正しくありません。',
      too_many: (minutes: number) => `試行回数が多すぎます。約 ${minutes} 分後にもう一度お試しください。`,
      email_taken: 'このメールアドレスはすでに登録されています。サインインしてください。',
      weak_password: 'パスワードは 8 文字以上 128 文字以下にしてください。',
      password_mismatch: '確認用のパスワードが一致しません。',
      invalid_email: '有効なメールアドレスを入力してください。',
      missing_fields: 'すべての項目を入力してください。',
    },
  },
  en: {
    signinTitle: 'Sign in',
    signupTitle: 'Create your account',
    signinLead: 'Sign in with your Kinema account.',
    signupLead: 'Register with your email address and a password.',
    email: 'Email address',
    password: 'Password',
    passwordConfirm: 'Confirm password',
    passwordHint: '8 to 128 characters',
    signinSubmit: 'Sign in',
    signupSubmit: 'Create account',
    toSignup: "Don't have an account?",
    toSignupLink: 'Sign up',
    toSignin: 'Already have an account?',
    toSigninLink: 'Sign in',
    switchLang: '日本語',
    logoutTitle: 'Sign out?',
    logoutYes: 'Sign out',
    logoutNo: 'Cancel',
    loggedOutTitle: 'You are signed out',
    loggedOutLead: 'See you again soon.',
    errorTitle: 'Something went wrong',
    errorLead: 'Please start again from the beginning.',
    sentTitle: 'Check your email',
    sentLead: (email: string) =>
      `We sent a link to ${email} to finish creating your account. The link works for 30 minutes.`,
    sentHint: 'No email? Check your spam folder, or try again.',
    mailFailed: 'The email could not be sent. Please try again in a little while.',
    readyTitle: 'Your account is ready',
    readyLead: 'Sign in to start watching on Kinema.',
    existsTitle: 'You already have an account',
    existsLead: 'An account with this email address already exists. Please sign in.',
    toSigninButton: 'Sign in',
    linkTitle: 'This link cannot be used',
    linkErrors: {
      malformed: 'This link is not valid. Open the link from the email exactly as it is.',
      unknown: 'This link is not valid. Open the link from the email exactly as it is.',
      used: 'This link has already been used. If your account was created, please sign in.',
      expired: 'This link has expired (it works for 30 minutes). Please create your account again.',
    },
    errors: {
      wrong_credentials: 'The email address or password is incorrect.',
      too_many: (minutes: number) => `Too many attempts from here. Please try again in about ${minutes} minutes.`,
      email_taken: 'An account with this email address already exists. Please sign in.',
      weak_password: 'The password must be 8 to 128 characters long.',
      password_mismatch: 'The two passwords do not match.',
      invalid_email: 'Enter a valid email address.',
      missing_fields: 'Fill in every field.',
    },
  },
} as const;

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export function errorMessage(lang: Lang, error: FormError, waitMinutes = 15): string {
  const message = text[lang].errors[error];
  return typeof message === 'function' ? message(waitMinutes) : message;
}

const STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px 16px;
  font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP",Meiryo,sans-serif;
  background:#0f1115;color:#e8eaf0;line-height:1.6}
main{width:100%;max-width:400px;background:#181b22;border:1px solid #2a2f3a;border-radius:14px;padding:32px 28px;
  box-shadow:0 10px 30px rgba(0,0,0,.35)}
.brand{font-weight:700;letter-spacing:.08em;font-size:1.1rem;color:#ff8a8e;margin:0 0 18px}
h1{font-size:1.45rem;margin:0 0 6px}
p.lead{margin:0 0 22px;color:#a9afbd;font-size:.95rem}
label{display:block;font-size:.9rem;font-weight:600;margin:16px 0 6px}
input{width:100%;font:inherit;font-size:1rem;padding:11px 12px;border-radius:8px;border:1px solid #3a4150;
  background:#0f1115;color:#e8eaf0}
input:focus{outline:2px solid #ff5a5f;outline-offset:1px;border-color:transparent}
.hint{font-size:.8rem;color:#8c93a3;margin-top:4px}
button{width:100%;margin-top:24px;padding:12px;font:inherit;font-weight:700;border:0;border-radius:8px;
  background:#d63a40;color:#fff;cursor:pointer}
button:hover{background:#c0343a}
button:focus-visible{outline:2px solid #fff;outline-offset:2px}
button.secondary{background:transparent;border:1px solid #3a4150;color:#e8eaf0;margin-top:12px}
.alert{border:1px solid #a23b3e;background:#2a1517;color:#ffb3b5;border-radius:8px;padding:10px 12px;font-size:.92rem;margin:0 0 8px}
.switch{margin:22px 0 0;font-size:.9rem;color:#a9afbd;text-align:center}
a{color:#ff8a8e}
a.button{display:block;text-align:center;margin-top:24px;padding:12px;font-weight:700;border-radius:8px;
  background:#d63a40;color:#fff;text-decoration:none}
a.button:hover{background:#c0343a}
a.button:focus-visible{outline:2px solid #fff;outline-offset:2px}
footer{margin-top:18px;text-align:center;font-size:.85rem}
@media (max-width:420px){main{padding:24px 18px;border-radius:10px}}
@media (prefers-color-scheme:light){body{background:#f3f4f7;color:#1b1e24}main{background:#fff;border-color:#e1e4ea;
  box-shadow:0 10px 30px rgba(20,24,40,.08)}p.lead,.switch,.hint{color:#5b6272}input{background:#fff;color:#1b1e24;border-color:#c9ced8}
  .alert{background:#fff1f1;color:#9b1c21;border-color:#f0b7b9}button.secondary{color:#1b1e24;border-color:#c9ced8}a,.brand{color:#c42b31}a.button{color:#fff}}
`;

function page(lang: Lang, title: string, body: string, langSwitch?: string): string {
  const footer = langSwitch
    ? `<footer><a href="${escapeHtml(langSwitch)}" lang="${lang === 'ja' ? 'en' : 'ja'}">${text[lang].switchLang}</a></footer>`
    : '';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} | Kinema</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="brand">KINEMA</p>
${body}
${footer}
</main>
</body>
</html>`;
}

const alert = (message: string | undefined) =>
  message ? `<p class="alert" role="alert" id="form-error">${escapeHtml(message)}</p>` : '';

export interface FormPage {
  lang: Lang;
  action: string;
  /** The other form (sign-up from sign-in and back). */
  otherFormUrl: string;
  langSwitchUrl: string;
  email?: string;
  error?: string;
}

export function signInPage(view: FormPage): string {
  const t = text[view.lang];
  const described = view.error ? ' aria-describedby="form-error"' : '';
  return page(
    view.lang,
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
<p class="switch">${t.toSignup} <a href="${escapeHtml(view.otherFormUrl)}" data-testid="to-signup">${t.toSignupLink}</a></p>`,
    view.langSwitchUrl,
  );
}

export function signUpPage(view: FormPage): string {
  const t = text[view.lang];
  const described = view.error ? ' aria-describedby="form-error password-hint"' : ' aria-describedby="password-hint"';
  return page(
    view.lang,
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

/** `form` is oidc-provider's hidden logout form (it carries the xsrf token); the buttons submit it. */
export function logoutPage(lang: Lang, form: string): string {
  const t = text[lang];
  return page(
    lang,
    t.logoutTitle,
    `<h1>${t.logoutTitle}</h1>
${form}
<button autofocus type="submit" form="op.logoutForm" name="logout" value="yes" data-testid="signout-confirm">${t.logoutYes}</button>
<button class="secondary" type="submit" form="op.logoutForm" data-testid="signout-cancel">${t.logoutNo}</button>`,
  );
}

export function loggedOutPage(lang: Lang): string {
  const t = text[lang];
  return page(lang, t.loggedOutTitle, `<h1>${t.loggedOutTitle}</h1><p class="lead">${t.loggedOutLead}</p>`);
}

export function errorPage(lang: Lang, detail: string | undefined): string {
  const t = text[lang];
  return page(
    lang,
    t.errorTitle,
    `<h1>${t.errorTitle}</h1>
<p class="lead">${t.errorLead}</p>
${detail ? `<p class="alert" role="alert">${escapeHtml(detail)}</p>` : ''}`,
  );
}

/** After a sign-up form: the same page whether or not the address already has an account. */
export function signUpSentPage(lang: Lang, email: string): string {
  const t = text[lang];
  return page(
    lang,
    t.sentTitle,
    `<h1>${t.sentTitle}</h1>
<p class="lead" data-testid="signup-sent">${escapeHtml(t.sentLead(email))}</p>
<p class="hint">${t.sentHint}</p>`,
  );
}

export function mailFailedPage(lang: Lang): string {
  return errorPage(lang, text[lang].mailFailed);
}

/** The emailed link worked but this browser's sign-in has gone (another device, or it expired). */
export function accountReadyPage(lang: Lang, signInUrl: string): string {
  const t = text[lang];
  return page(
    lang,
    t.readyTitle,
    `<h1>${t.readyTitle}</h1>
<p class="lead">${t.readyLead}</p>
<a class="button" href="${escapeHtml(signInUrl)}" data-testid="account-ready-signin">${t.toSigninButton}</a>`,
  );
}

/** The address got an account between the form and the link: nothing was created. */
export function accountExistsPage(lang: Lang, signInUrl: string): string {
  const t = text[lang];
  return page(
    lang,
    t.existsTitle,
    `<h1>${t.existsTitle}</h1>
<p class="lead">${t.existsLead}</p>
<a class="button" href="${escapeHtml(signInUrl)}" data-testid="account-exists-signin">${t.toSigninButton}</a>`,
  );
}

export type LinkProblem = 'malformed' | 'unknown' | 'used' | 'expired';

export function signUpLinkPage(lang: Lang, problem: LinkProblem): string {
  const t = text[lang];
  return page(
    lang,
    t.linkTitle,
    `<h1>${t.linkTitle}</h1>
<p class="alert" role="alert" data-testid="signup-link-problem">${t.linkErrors[problem]}</p>`,
  );
}
