import type { Page } from 'playwright-core';
import type { Credentials } from './harness.js';

/** The issuer's sign-up form, from the header's sign-up link; ends back on the site, signed in. */
export async function signUp(page: Page, person: Credentials, beforeSubmit?: () => Promise<void>): Promise<void> {
  await page.getByTestId('signup-link').click();
  await page.waitForURL(/\/oidc\//);
  await page.locator('input[name="email"]').fill(person.email);
  await page.locator('input[name="password"]').fill(person.password);
  await page.locator('input[name="password_confirm"]').fill(person.password);
  await beforeSubmit?.();
  await page.getByTestId('signup-submit').click();
  await page.getByTestId('signout-button').waitFor();
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

/** The header's sign-out, then the issuer's confirmation (RP-initiated logout); ends on the home page. */
export async function signOut(page: Page): Promise<void> {
  await page.getByTestId('signout-button').click();
  await page.getByTestId('signout-confirm').click();
  await page.getByTestId('signin-link').waitFor();
}
