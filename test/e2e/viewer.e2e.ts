import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { signIn, signOut, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, screenshot, VIEWPORTS } from './harness.js';
import type { ViewportName } from './harness.js';

const { url } = inject('kinema');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('a new viewer', () => {
  for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
    test(`signs up, sees the account, is kept out of admin, signs out and back in (${viewport})`, async () => {
      const { context, page } = await newPage(browser, viewport);
      try {
        const person = newPerson();

        await page.goto(url);
        expect(await page.locator('html').getAttribute('lang')).toBe('ja');
        await page.getByTestId('signup-link').waitFor();
        expect(await page.getByTestId('nav-account').count()).toBe(0);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'home', viewport);

        await signUp(page, person, () => screenshot(page, 'issuer-signup', viewport).then(() => undefined));
        expect(new URL(page.url()).origin).toBe(url);
        expect(await page.getByTestId('nav-admin').count()).toBe(0);
        await screenshot(page, 'home-signed-in', viewport);

        await page.getByTestId('nav-account').click();
        await page.waitForURL(`${url}/account`);
        expect((await page.getByTestId('account-email').textContent())?.trim()).toBe(person.email);
        expect((await page.getByTestId('account-plan').textContent())?.trim()).toBe('プランはまだありません');
        await page.getByTestId('account-rentals-empty').waitFor();
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'account', viewport);

        const forbidden = await page.goto(`${url}/admin`);
        expect(forbidden?.status()).toBe(403);
        await page.getByTestId('forbidden').waitFor();
        expect(await page.getByTestId('admin-heading').count()).toBe(0);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'forbidden', viewport);

        await page.goto(url);
        await signOut(page);
        expect(new URL(page.url()).pathname).toBe('/');
        // Signed out for real: the account page now sends the person to the issuer.
        await page.goto(`${url}/account`);
        await page.waitForURL(/\/oidc\//);
        await screenshot(page, 'issuer-signin', viewport);
        await page.goto(url);

        await signIn(page, person);
        await page.getByTestId('nav-account').click();
        await page.waitForURL(`${url}/account`);
        expect((await page.getByTestId('account-email').textContent())?.trim()).toBe(person.email);
      } finally {
        await context.close();
      }
    });
  }

  test('the session cookie is httpOnly and SameSite=Lax, and the tokens never reach the page', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      await page.goto(url);
      await signUp(page, newPerson());
      const session = (await context.cookies()).find((cookie) => cookie.name === 'kinema_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(session?.value.split('.')).toHaveLength(5); // a JWE, not a readable JWT
      expect(await page.evaluate(() => document.cookie)).not.toContain('kinema_session');
      const html = await page.content();
      expect(html).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/); // no JWT in the rendered page
    } finally {
      await context.close();
    }
  });
});
