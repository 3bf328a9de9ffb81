import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { signIn, signOut } from './flows.js';
import { fitsViewport, launchBrowser, newPage, screenshot, VIEWPORTS } from './harness.js';
import type { ViewportName } from './harness.js';

const { url, admin } = inject('kinema');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('the admin made with the CLI', () => {
  for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
    test(`is sent to sign in from /admin, comes back to the admin area, and sees the Admin link (${viewport})`, async () => {
      const { context, page } = await newPage(browser, viewport);
      try {
        await page.goto(`${url}/admin`);
        await page.waitForURL(/\/oidc\//);
        await signIn(page, admin, { fromHeader: false });
        expect(page.url()).toBe(`${url}/admin`);
        await page.getByTestId('admin-heading').waitFor();
        await page.getByTestId('nav-admin').waitFor();
        expect(await page.getByTestId('forbidden').count()).toBe(0);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'admin', viewport);

        await page.getByTestId('nav-account').click();
        await page.waitForURL(`${url}/account`);
        expect((await page.getByTestId('account-email').textContent())?.trim()).toBe(admin.email);
        const roles = await page.getByTestId('account-role').allTextContents();
        expect(roles.map((role) => role.trim())).toContain('管理者');

        await signOut(page);
        expect(await page.getByTestId('nav-admin').count()).toBe(0);
      } finally {
        await context.close();
      }
    });
  }
});
