import type { Email } from '#shared/ports/mailer.js';
import { escapeHtml } from './pages.js';
import type { Lang } from './pages.js';

/**
 * The two emails a sign-up sends: a link that finishes a new account, or — for an address that
 * already has one — a notice to its owner. Whoever filled in the form sees the same page either way.
 */
const text = {
  ja: {
    linkSubject: '【Kinema】アカウントの作成を完了してください',
    linkBody: [
      'Kinema をご利用いただきありがとうございます。',
      'アカウントの作成を完了するには、30 分以内に次のリンクを開いてください。',
    ],
    linkIgnore: 'お心当たりがない場合は、このメールを無視してください。アカウントは作成されません。',
    takenSubject: '【Kinema】このメールアドレスでのアカウント作成について',
    takenBody: [
      'このメールアドレスで Kinema のアカウントを作成しようとする操作がありましたが、このアドレスのアカウントはすでにあります。',
      'ご本人の場合は、次のリンクからサインインしてください。',
    ],
    takenIgnore: 'お心当たりがない場合は、このメールを無視してください。アカウントに変更はありません。',
    resetSubject: '【Kinema】パスワードの再設定',
    resetBody: [
      'Kinema のパスワードの再設定が申し込まれました。',
      '新しいパスワードを決めるには、30 分以内に次のリンクを開いてください。リンクは一度だけ使えます。',
    ],
    resetIgnore: 'お心当たりがない場合は、このメールを無視してください。パスワードは変わりません。',
    emailSubject: '【Kinema】新しいメールアドレスの確認',
    emailBody: [
      'Kinema のアカウントのメールアドレスを、このアドレスに変更する手続きが行われました。',
      '変更を完了するには、30 分以内に次のリンクを開いてください。',
    ],
    emailIgnore: 'お心当たりがない場合は、このメールを無視してください。メールアドレスは変わりません。',
  },
  en: {
    linkSubject: 'Finish creating your Kinema account',
    linkBody: ['Thank you for joining Kinema.', 'To finish creating your account, open this link within 30 minutes:'],
    linkIgnore: 'If this was not you, ignore this email: no account will be created.',
    takenSubject: 'Someone tried to create a Kinema account with your address',
    takenBody: [
      'Someone tried to create a Kinema account with this email address, which already has an account.',
      'If it was you, sign in instead:',
    ],
    takenIgnore: 'If this was not you, ignore this email: nothing has changed on your account.',
    resetSubject: 'Reset your Kinema password',
    resetBody: [
      'Someone asked to reset the password of your Kinema account.',
      'To choose a new password, open this link within 30 minutes. It works once:',
    ],
    resetIgnore: 'If this was not you, ignore this email: your password stays as it is.',
    emailSubject: 'Confirm your new Kinema email address',
    emailBody: [
      'Your Kinema account is being moved to this email address.',
      'To confirm, open this link within 30 minutes:',
    ],
    emailIgnore: 'If this was not you, ignore this email: nothing changes.',
  },
} as const;

function render(
  id: string,
  to: string,
  subject: string,
  lines: readonly string[],
  link: string,
  ignore: string,
): Email {
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.6">
${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>
<p style="color:#666">${escapeHtml(ignore)}</p>
</body></html>`;
  return { id, to, subject, text: [...lines, '', link, '', ignore, ''].join('\n'), html };
}

export function signUpLinkEmail(lang: Lang, input: { id: string; to: string; link: string }): Email {
  const t = text[lang];
  return render(input.id, input.to, t.linkSubject, t.linkBody, input.link, t.linkIgnore);
}

export function signUpTakenEmail(lang: Lang, input: { id: string; to: string; signInUrl: string }): Email {
  const t = text[lang];
  return render(input.id, input.to, t.takenSubject, t.takenBody, input.signInUrl, t.takenIgnore);
}

export function passwordResetEmail(lang: Lang, input: { id: string; to: string; link: string }): Email {
  const t = text[lang];
  return render(input.id, input.to, t.resetSubject, t.resetBody, input.link, t.resetIgnore);
}

export function emailChangeEmail(lang: Lang, input: { id: string; to: string; link: string }): Email {
  const t = text[lang];
  return render(input.id, input.to, t.emailSubject, t.emailBody, input.link, t.emailIgnore);
}
