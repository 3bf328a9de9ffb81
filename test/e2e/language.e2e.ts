import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { fitsViewport, launchBrowser, newPage, screenshot } from './harness.js';
import type { ViewportName } from './harness.js';

const { url } = inject('kinema');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('the language switch', () => {
  for (const viewport of ['phone', 'desktop'] as ViewportName[]) {
    test(`turns the site to English and back to Japanese, and the issuer follows (${viewport})`, async () => {
      const { context, page } = await newPage(browser, viewport);
      try {
        await page.goto(url);
        expect(await page.locator('html').getAttribute('lang')).toBe('ja');
        expect((await page.getByTestId('signin-link').textContent())?.trim()).toBe('ログイン');

        await page.getByTestId('lang-switch').click();
        await page.waitForFunction(() => document.documentElement.lang === 'en');
        expect(new URL(page.url()).pathname).toBe('/');
        expect((await page.getByTestId('signin-link').textContent())?.trim()).toBe('Sign in');
        expect(await page.locator('h1').textContent()).toMatch(/[A-Za-z]/);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'home-en', viewport);

        // The choice survives a reload and reaches the issuer's pages (ui_locales and the lang cookie).
        await page.reload();
        expect(await page.locator('html').getAttribute('lang')).toBe('en');
        await page.getByTestId('signin-link').click();
        await page.waitForURL(/\/oidc\//);
        expect(await page.getByTestId('signin-submit').textContent()).toMatch(/Sign in/);
        await page.goBack();

        await page.goto(`${url}/no-such-page`);
        expect(await page.getByTestId('error').textContent()).toMatch(/Page not found/);
        await page.goto(url);

        await page.getByTestId('lang-switch').click();
        await page.waitForFunction(() => document.documentElement.lang === 'ja');
        expect((await page.getByTestId('signin-link').textContent())?.trim()).toBe('ログイン');
      } finally {
        await context.close();
      }
    });
  }
});
