import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { signIn, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, pageIn, screenshot } from './harness.js';

/**
 * The browser side of rental reminders (issue 11): the account page's reminder settings and
 * account closure, and the admin's outbox page. The dev-clock scenario itself (nothing at
 * +42 h 59 m, one email at +43 h, refund, restart, +48 h) is runtime/standalone/reminders.test.ts,
 * on its own server: moving this suite's shared clock by two days would expire every session here.
 */
const { url, admin } = inject('kinema');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('rental reminders in the browser', () => {
  test('a viewer sets reminders to English in their zone, then closes the account', async () => {
    // Europe/Paris: a zone neither the server nor the defaults use, so the page must have read it.
    const desktop = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'ja-JP',
      timezoneId: 'Europe/Paris',
    });
    desktop.setDefaultTimeout(20_000);
    try {
      const viewer = await pageIn(desktop);
      const person = newPerson('reminders');
      await viewer.goto(url);
      await signUp(viewer, person);
      await viewer.goto(`${url}/account`);
      const card = viewer.getByTestId('account-reminders');
      await card.waitFor();
      // Signing in recorded the site language; the browser says which zone dates are for.
      expect(await viewer.getByTestId('account-reminders-language').inputValue()).toBe('ja');
      await expect.poll(() => viewer.getByTestId('account-reminders-zone').textContent()).toBe('Europe/Paris');
      expect(await viewer.getByTestId('account-reminders-on').isChecked()).toBe(true);

      await viewer.getByTestId('account-reminders-language').selectOption('en');
      await viewer.getByTestId('account-reminders-save').click();
      await viewer.getByTestId('account-reminders-saved').waitFor();
      await viewer.reload();
      expect(await viewer.getByTestId('account-reminders-language').inputValue()).toBe('en');
      expect(await fitsViewport(viewer)).toBe(true);
      await screenshot(viewer, 'account-reminders', 'desktop');

      await viewer.getByTestId('account-close-open').click();
      await screenshot(viewer, 'account-close', 'desktop');
      await viewer.getByTestId('account-close-confirm').click();
      await viewer.getByTestId('signin-link').waitFor();

      // The account is gone: the same email and password no longer sign in.
      await viewer.getByTestId('signin-link').click();
      await viewer.waitForURL(/\/oidc\//);
      await viewer.locator('input[name="email"]').fill(person.email);
      await viewer.locator('input[name="password"]').fill(person.password);
      await viewer.getByTestId('signin-submit').click();
      await viewer.locator('#form-error').waitFor();
      expect(new URL(viewer.url()).pathname).toMatch(/^\/oidc\//);
    } finally {
      await desktop.close();
    }
  });

  test('an admin sees the outbox and the dead letters', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      await page.goto(url);
      await signIn(page, admin);
      await page.goto(`${url}/admin`);
      await page.getByTestId('admin-outbox-link').click();
      await page.waitForURL(`${url}/admin/outbox`);
      await page.getByTestId('outbox-heading').waitFor();
      await page.getByTestId('dead-empty').waitFor();
      expect(await fitsViewport(page)).toBe(true);
      await screenshot(page, 'admin-outbox', 'desktop');
    } finally {
      await context.close();
    }
  });
});
