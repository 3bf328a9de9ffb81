import { z } from 'zod';
import { api, ApiError } from './api';
import type { ApiEvent } from './api';

/**
 * The account's sign-in details at the identity API (`/api/identity/me/*`, the built-in issuer):
 * change of password and of email address. Each answers what the account page shows: done, or
 * which field is wrong and why, as a code the page translates.
 */
export type SignInOutcome =
  | { ok: true; action: 'password' }
  | { ok: true; action: 'email'; sentTo: string }
  | {
      ok: false;
      action: 'password' | 'email';
      status: number;
      /** The field to show the problem beside, when there is one. */
      field?: 'currentPassword' | 'newPassword' | 'email';
      code:
        | 'wrong_password'
        | 'weak_password'
        | 'password_mismatch'
        | 'invalid_email'
        | 'same_email'
        | 'email_taken'
        | 'failed';
    };

const Issue = z.object({ path: z.array(z.union([z.string(), z.number()])), code: z.string() });

/** The field and code of an API refusal, in the page's own terms. */
function refusal(action: 'password' | 'email', error: unknown): SignInOutcome {
  if (!(error instanceof ApiError) || error.status >= 500) return { ok: false, action, status: 502, code: 'failed' };
  if (error.status === 409) return { ok: false, action, status: 409, field: 'email', code: 'email_taken' };
  const issue = z.array(Issue).safeParse(error.details).data?.[0];
  const field = issue?.path[0];
  const known = ['wrong_password', 'weak_password', 'invalid_email', 'same_email'] as const;
  const code = known.find((candidate) => candidate === issue?.code);
  if (code && (field === 'currentPassword' || field === 'newPassword' || field === 'email')) {
    return { ok: false, action, status: error.status, field, code };
  }
  return { ok: false, action, status: error.status, code: 'failed' };
}

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
};

export async function changePassword(event: ApiEvent, form: FormData): Promise<SignInOutcome> {
  const currentPassword = text(form, 'currentPassword');
  const newPassword = text(form, 'newPassword');
  if (!currentPassword)
    return { ok: false, action: 'password', status: 400, field: 'currentPassword', code: 'wrong_password' };
  if (newPassword !== text(form, 'newPasswordConfirm')) {
    return { ok: false, action: 'password', status: 400, field: 'newPassword', code: 'password_mismatch' };
  }
  try {
    await api(event, '/api/identity/me/password', { json: { currentPassword, newPassword } });
    return { ok: true, action: 'password' };
  } catch (error) {
    return refusal('password', error);
  }
}

export async function changeEmail(event: ApiEvent & { locals: App.Locals }, form: FormData): Promise<SignInOutcome> {
  try {
    const answer = await api(event, '/api/identity/me/email', {
      json: { email: text(form, 'email'), lang: event.locals.lang },
      schema: z.object({ sentTo: z.string() }),
    });
    return { ok: true, action: 'email', sentTo: answer.sentTo };
  } catch (error) {
    return refusal('email', error);
  }
}
