import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '#shared/errors.js';
import { beginLogin, browse, cookieJar, formAction, newestEmail, postForm, start } from './issuer-test-support.js';
import type { Running } from './issuer-test-support.js';
import { LINK_TTL_MS } from './account-links.js';

/** Forgotten password, change of password and change of address on the built-in issuer. */
describe('self-service account links', () => {
  let dataDir: string;
  let running: Running | undefined;
  let clock = Date.now();

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kinema-links-'));
    clock = Date.now();
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const boot = async () =>
    (running = await start(
      dataDir,
      0,
      async () => 'none',
      () => clock,
    ));

  const resetLinkIn = (text: string) => {
    const link = /https?:\/\/\S+\/password\/reset\?token=[A-Za-z0-9_-]+&lang=(?:ja|en)/.exec(text)?.[0];
    if (!link) throw new Error('no reset link in the email');
    return link;
  };

  const signsIn = async (r: Running, email: string, password: string) => {
    const { jar, page } = await beginLogin(r);
    const done = await postForm(jar, formAction(page.html!, r.base), { email, password }, `${r.base}/auth/callback`);
    return done.url.startsWith(`${r.base}/auth/callback?code=`);
  };

  it('resets a forgotten password by a single-use emailed link, and says the same for unknown addresses', async () => {
    const r = await boot();
    await r.issuer.accounts.create({ email: 'forgot@example.com', password: 'old password' });
    const jar = cookieJar();
    const form = await browse(jar, `${r.issuerUrl}/password/forgot?lang=en`);
    expect(form.response.status).toBe(200);
    expect(form.html).toContain('data-testid="page-logo"');

    const ask = (email: string) =>
      browse(jar, formAction(form.html!, r.base), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: r.base },
        body: new URLSearchParams({ email }).toString(),
      });
    const known = await ask('Forgot@Example.com');
    const unknown = await ask('nobody@example.com');
    expect(known.response.status).toBe(200);
    expect(unknown.response.status).toBe(200);
    expect(known.html!.replace('forgot@example.com', 'X')).toBe(unknown.html!.replace('nobody@example.com', 'X'));

    await expect.poll(async () => (await r.outbox.list(10)).length).toBe(1);
    const mail = await newestEmail(r, 'forgot@example.com');
    const link = resetLinkIn(mail.text);

    const page = await browse(jar, link);
    expect(page.response.status).toBe(200);
    const token = /name="token" value="([^"]+)"/.exec(page.html!)?.[1];
    expect(token).toBeTruthy();
    const post = (fields: Record<string, string>, origin = r.base) =>
      browse(jar, formAction(page.html!, r.base), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams(fields).toString(),
      });

    // Another site cannot post the form; a weak password keeps the link usable.
    expect(
      (
        await post(
          { token: token!, password: 'new password', password_confirm: 'new password' },
          'https://evil.example',
        )
      ).response.status,
    ).toBe(403);
    expect((await post({ token: token!, password: 'short', password_confirm: 'short' })).response.status).toBe(400);
    const done = await post({ token: token!, password: 'new password', password_confirm: 'new password' });
    expect(done.response.status).toBe(200);
    expect(done.html).toContain('data-testid="reset-done"');
    expect(await signsIn(r, 'forgot@example.com', 'new password')).toBe(true);
    expect(await signsIn(r, 'forgot@example.com', 'old password')).toBe(false);

    // Reused: 410, and the password stays the new one.
    const reused = await post({ token: token!, password: 'third password', password_confirm: 'third password' });
    expect(reused.response.status).toBe(410);
    expect((await browse(jar, link)).response.status).toBe(410);
    // Forged and malformed: 400.
    const forged = link.replace(/token=[A-Za-z0-9_-]+/, `token=${'A'.repeat(43)}`);
    expect((await browse(jar, forged)).response.status).toBe(400);
    expect((await browse(jar, link.replace(/token=[^&]+/, 'token=%3Cscript%3E'))).response.status).toBe(400);
    expect(await signsIn(r, 'forgot@example.com', 'new password')).toBe(true);
  });

  it('refuses an expired reset link with a page that says so', async () => {
    const r = await boot();
    await r.issuer.accounts.create({ email: 'late@example.com', password: 'old password' });
    const jar = cookieJar();
    const ask = () =>
      browse(jar, `${r.issuerUrl}/password/forgot?lang=ja`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: r.base },
        body: 'email=late%40example.com',
      });
    await ask();
    await expect.poll(async () => (await r.outbox.list(10)).length).toBe(1);
    const first = resetLinkIn((await newestEmail(r, 'late@example.com')).text);
    clock += LINK_TTL_MS + 1;
    const expired = await browse(jar, first);
    expect(expired.response.status).toBe(410);
    expect(expired.html).toContain('有効期限');
  });

  it('changes the password only with the current one, and signs other devices out', async () => {
    const r = await boot();
    const account = await r.issuer.accounts.create({ email: 'change@example.com', password: 'old password' });
    const device = await beginLogin(r);
    await postForm(
      device.jar,
      formAction(device.page.html!, r.base),
      { email: 'change@example.com', password: 'old password' },
      `${r.base}/auth/callback`,
    );
    // Signed in at the issuer: a new authorisation goes straight through.
    expect((await beginLogin(r, {}, device.jar)).page.url).toMatch(/\/auth\/callback\?code=/);
    const wrong = await r.issuer.selfService
      .changePassword(account.id, { currentPassword: 'not it', newPassword: 'new password' })
      .catch((error: unknown) => error);
    expect(isAppError(wrong) && wrong.code).toBe('invalid_input');
    await r.issuer.selfService.changePassword(account.id, {
      currentPassword: 'old password',
      newPassword: 'new password',
    });
    // That device's issuer session is gone: it is asked for the password again.
    expect((await beginLogin(r, {}, device.jar)).page.html).toContain('data-testid="signin-submit"');
    expect(await signsIn(r, 'change@example.com', 'new password')).toBe(true);
    expect(await signsIn(r, 'change@example.com', 'old password')).toBe(false);
  });

  it('moves an account to a new address only after its emailed link, never onto a taken one', async () => {
    const r = await boot();
    const account = await r.issuer.accounts.create({ email: 'move@example.com', password: 'my password' });
    await r.issuer.accounts.create({ email: 'taken@example.com', password: 'their password' });
    const taken = await r.issuer.selfService
      .requestEmailChange(account.id, { email: 'TAKEN@example.com', lang: 'en' })
      .catch((error: unknown) => error);
    expect(isAppError(taken) && taken.code).toBe('conflict');

    await r.issuer.selfService.requestEmailChange(account.id, { email: 'moved@example.com', lang: 'en' });
    expect(r.issuer.accounts.findById(account.id)?.email).toBe('move@example.com');
    const mail = await newestEmail(r, 'moved@example.com');
    const link = /https?:\/\/\S+\/email\/verify\?token=[A-Za-z0-9_-]+&lang=en/.exec(mail.text)?.[0];
    expect(link).toBeTruthy();
    const jar = cookieJar();
    const done = await browse(jar, link!);
    expect(done.response.status).toBe(200);
    expect(done.html).toContain('moved@example.com');
    expect(r.issuer.accounts.findById(account.id)?.email).toBe('moved@example.com');
    expect((await browse(jar, link!)).response.status).toBe(410);
    expect(await signsIn(r, 'moved@example.com', 'my password')).toBe(true);

    // Taken between the request and the click: nothing changes.
    await r.issuer.selfService.requestEmailChange(account.id, { email: 'race@example.com', lang: 'en' });
    await r.issuer.accounts.create({ email: 'race@example.com', password: 'first come' });
    const raced = /https?:\/\/\S+\/email\/verify\?token=[A-Za-z0-9_-]+&lang=en/.exec(
      (await newestEmail(r, 'race@example.com')).text,
    )?.[0];
    expect((await browse(jar, raced!)).response.status).toBe(409);
    expect(r.issuer.accounts.findById(account.id)?.email).toBe('moved@example.com');
  });
});
