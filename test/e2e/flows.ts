import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { inject } from 'vitest';
import { dataDirs } from './harness.js';
import type { Credentials } from './harness.js';

/**
 * The issuer's sign-up form, from the header's sign-up link, then the link it emails; ends back
 * on the site, signed in (the original returnTo kept).
 */
export async function signUp(page: Page, person: Credentials, beforeSubmit?: () => Promise<void>): Promise<void> {
  await page.getByTestId('signup-link').click();
  await page.waitForURL(/\/oidc\//);
  await fillSignUp(page, person, beforeSubmit);
  await followSignUpEmail(page, person.email);
}

/** Fills and sends the issuer's sign-up form (already open); waits for the "we sent a link" page. */
export async function fillSignUp(page: Page, person: Credentials, beforeSubmit?: () => Promise<void>): Promise<void> {
  await page.locator('input[name="email"]').fill(person.email);
  await page.locator('input[name="password"]').fill(person.password);
  await page.locator('input[name="password_confirm"]').fill(person.password);
  await beforeSubmit?.();
  await page.getByTestId('signup-submit').click();
  await page.getByTestId('signup-sent').waitFor();
}

/** Opens the newest sign-up link emailed to `email` in this page; ends on the site, signed in. */
export async function followSignUpEmail(page: Page, email: string): Promise<void> {
  await page.goto(await signUpLinkFor(email, 10_000, new URL(page.url()).origin));
  await page.getByTestId('signout-button').waitFor();
}

/**
 * The link in the newest email to `email` in the server's outbox (`<KINEMA_DATA>/outbox/`: one
 * `.eml` per email beside a `.json` record of it, whose `text` is the decoded text part), of the
 * server at `origin` (default: the suite's).
 */
export async function signUpLinkFor(email: string, timeoutMs = 10_000, origin?: string): Promise<string> {
  // The suite's server, or one a test file started itself (entitlement's).
  const suite = inject('kinema');
  const dataDir = origin && origin !== suite.url ? dataDirs.get(origin) : suite.dataDir;
  if (!dataDir) throw new Error('following a sign-up email needs a standalone server started by the tests');
  const outbox = join(dataDir, 'outbox');
  const to = email.normalize('NFKC').trim().toLowerCase();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = readdirSync(outbox)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .reverse();
    for (const name of records) {
      const mail = JSON.parse(readFileSync(join(outbox, name), 'utf8')) as { to: string; text: string };
      if (mail.to !== to) continue;
      const link = /https?:\/\/\S+\/verify\?token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
      if (link) return link;
    }
    if (Date.now() > deadline) throw new Error(`no sign-up email to ${to} in ${outbox}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The issuer's sign-in form, from the header's sign-in link (or wherever the page already is). */
export async function signIn(page: Page, person: Credentials, options: { fromHeader?: boolean } = {}): Promise<void> {
  if (options.fromHeader ?? true) await page.getByTestId('signin-link').click();
  await page.waitForURL(/\/oidc\//);
  await page.locator('input[name="email"]').fill(person.email);
  await page.locator('input[name="password"]').fill(person.password);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('signout-button').waitFor();
}

/** The header's sign-out: one click (the issuer's end-session page submits itself); ends on the home page. */
export async function signOut(page: Page): Promise<void> {
  await page.getByTestId('signout-button').click();
  await page.getByTestId('signin-link').waitFor();
}

/** The link in the newest email to `email` whose link matches `pattern` (reset, new address). */
export async function emailedLink(email: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const { dataDir } = inject('kinema');
  if (!dataDir) throw new Error('reading emails needs a standalone server started by the tests');
  const outbox = join(dataDir, 'outbox');
  const to = email.normalize('NFKC').trim().toLowerCase();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const name of readdirSync(outbox)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .reverse()) {
      const mail = JSON.parse(readFileSync(join(outbox, name), 'utf8')) as { to: string; text: string };
      const link = mail.to === to ? pattern.exec(mail.text)?.[0] : undefined;
      if (link) return link;
    }
    if (Date.now() > deadline) throw new Error(`no email to ${to} with ${pattern} in ${outbox}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
