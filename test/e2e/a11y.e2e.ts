import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { signIn, signUp } from './flows.js';
import { A11Y_WIDTHS, audit, violations } from './a11y-support.js';
import { newPerson, pageIn } from './harness.js';
import { withSampleTitle } from './sample-title.js';
import type { Credentials } from './harness.js';

/**
 * WCAG 2.1 A/AA in the browser (issue 18): axe-core on every page a person reaches, at a phone,
 * a tablet and a desktop width, signed out, as a viewer and as an admin. Zero violations of the
 * rules tagged wcag2a, wcag2aa, wcag21a and wcag21aa; each one found is listed with its page,
 * width and elements so that a failure says what to fix.
 */

const kinema = inject('kinema');
const { url, admin } = kinema;
const sample = withSampleTitle();

async function open(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await sample.browser.newContext({ viewport: A11Y_WIDTHS.desktop, locale: 'ja-JP' });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return { context, page: await pageIn(context) };
}

const visit = (page: Page, path: string) => async () => {
  await page.goto(`${url}${path}`);
};

describe('the audit itself', () => {
  test('catches each kind of problem the issue names (so a clean page is clean, not unchecked)', async () => {
    const { context, page } = await open();
    try {
      await page.setContent(`<html lang="ja"><head><title>t</title></head><body><main>
        <h1>見出し</h1><h3>飛んだ見出し</h3>
        <p style="color:#76748a;background:#14141c">© 2026</p>
        <button aria-label="Switch language">日本語に</button>
        <a href="#a" style="display:inline-block;width:12px;height:12px">a</a><a href="#b" style="display:inline-block;width:12px;height:12px">b</a>
        <input id="q"></main></body></html>`);
      const rules = new Set((await violations(page)).map((line) => line.split(' ')[0]));
      for (const rule of ['heading-order', 'color-contrast', 'label-content-name-mismatch', 'target-size', 'label'])
        expect(rules, rule).toContain(rule);
    } finally {
      await context.close();
    }
  });
});

describe('axe: signed out', () => {
  test('home, a title, search, sign-in and sign-up have no WCAG 2.1 A/AA violations', async () => {
    const { context, page } = await open();
    try {
      const found = [
        ...(await audit(page, 'out-home', visit(page, '/'))),
        ...(await audit(page, 'out-title', visit(page, `/videos/${sample.videoId}`))),
        ...(await audit(page, 'out-search', visit(page, `/search?q=${encodeURIComponent('夜明け')}`))),
        ...(await audit(page, 'out-search-empty', visit(page, `/search?q=zzzznothing`))),
        ...(await audit(page, 'out-not-found', visit(page, '/videos/no-such-title'))),
        ...(await audit(page, 'out-signin', async () => {
          await page.goto(`${url}/auth/login?returnTo=%2F`);
          await page.waitForURL(/\/oidc\//);
        })),
        ...(await audit(page, 'out-signup', async () => {
          await page.goto(`${url}/auth/signup?returnTo=%2F`);
          await page.waitForURL(/\/oidc\//);
        })),
      ];
      found.push(
        ...(await audit(page, 'out-signin-error', async () => {
          await page.goto(`${url}/auth/login?returnTo=%2F`);
          await page.waitForURL(/\/oidc\//);
          await page.locator('input[name="email"]').fill('nobody@example.com');
          await page.locator('input[name="password"]').fill('wrong-password-1');
          await page.getByTestId('signin-submit').click();
          await page.locator('[role="alert"]').first().waitFor();
        })),
        ...(await audit(page, 'out-forgot', async () => {
          await page.goto(`${url}/auth/login?returnTo=%2F`);
          await page.getByTestId('forgot-password').click();
          await page.locator('input[name="email"]').waitFor();
        })),
      );

      // In English: the same pages, with every element that switches language marked.
      await page.goto(url);
      await page.getByTestId('lang-switch').press('Enter');
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      found.push(
        ...(await audit(page, 'out-home-en', visit(page, '/'))),
        ...(await audit(page, 'out-title-en', visit(page, `/videos/${sample.videoId}`))),
      );
      expect(await page.getByTestId('lang-switch').locator('[lang="ja"]').textContent()).toBe('日本語');
      await page.getByTestId('lang-switch').press('Enter');
      await page.waitForFunction(() => document.documentElement.lang === 'ja');
      expect(await page.getByTestId('lang-switch').locator('[lang="en"]').textContent()).toBe('English');

      // The issuer's pages follow the system's colour scheme: audit the dark one too (the site
      // itself is dark whatever the system says).
      await page.emulateMedia({ colorScheme: 'dark' });
      found.push(
        ...(await audit(page, 'out-signin-dark', async () => {
          await page.goto(`${url}/auth/login?returnTo=%2F`);
          await page.waitForURL(/\/oidc\//);
        })),
      );
      expect(found).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('axe: a viewer', () => {
  let person: Credentials;

  test('home, account, a title before and after renting, and the sandbox checkout', async () => {
    const { context, page } = await open();
    person = newPerson('a11y');
    try {
      await page.goto(url);
      await signUp(page, person);
      const found = [
        ...(await audit(page, 'viewer-home', visit(page, '/'))),
        ...(await audit(page, 'viewer-account', visit(page, '/account'))),
        ...(await audit(page, 'viewer-title-locked', visit(page, `/videos/${sample.videoId}`))),
        ...(await audit(page, 'viewer-checkout', async () => {
          await page.goto(`${url}/videos/${sample.videoId}`);
          await page.getByTestId('buy-rent').click();
          await page.waitForURL(/\/_sandbox\/checkout\//);
        })),
      ];
      await page.getByTestId('sandbox-pay').click();
      await page.waitForURL(new RegExp(`/videos/${sample.videoId}`));
      await expect.poll(() => page.getByTestId('access-panel').getAttribute('data-reason')).toBe('rental');
      // The time left has its own (hidden) label, not a second "視聴期限".
      expect(await page.getByTestId('access-rental').locator('dt').allTextContents()).toEqual(['視聴期限', '残り時間']);
      found.push(
        ...(await audit(page, 'viewer-title-rented', visit(page, `/videos/${sample.videoId}`))),
        ...(await audit(page, 'viewer-account-rented', visit(page, '/account'))),
        // What they paid: the purchase history and a receipt.
        ...(await audit(page, 'viewer-purchases', visit(page, '/account/purchases'))),
        ...(await audit(page, 'viewer-receipt', async () => {
          await page.goto(`${url}/account/purchases`);
          const receipt = page.locator('a[href^="/account/purchases/"]').first();
          await receipt.waitFor();
          await page.goto(new URL((await receipt.getAttribute('href'))!, url).toString());
        })),
        // The player with its controls up: every control named, menus closed and open.
        ...(await audit(page, 'viewer-playing', async () => {
          await page.goto(`${url}/videos/${sample.videoId}`);
          await page.getByTestId('player-play').click();
          await expect
            .poll(() => page.getByTestId('player').getAttribute('data-state'), { timeout: 20_000 })
            .toBe('playing');
          await page.getByTestId('player').hover();
        })),
        ...(await audit(page, 'viewer-quality-menu', async () => {
          await page.getByTestId('quality-button').click();
          await expect.poll(() => page.getByTestId('quality-menu').isVisible()).toBe(true);
        })),
        // On my list and part-watched: the home page's rows (continue watching, my list).
        ...(await audit(page, 'viewer-home-rows', async () => {
          await page.goto(`${url}/videos/${sample.videoId}`);
          const toggle = page.getByTestId('list-toggle');
          if ((await toggle.getAttribute('aria-pressed')) !== 'true') {
            await toggle.click();
            await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
          }
          // The list is read back a moment after the write: ask again until its row is there.
          await expect
            .poll(
              async () => {
                await page.goto(url);
                return page.locator('[data-testid="title-row"][data-row="my-list"]').count();
              },
              { timeout: 15_000 },
            )
            .toBe(1);
        })),
      );
      expect(found).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('axe: an admin', () => {
  test('the admin list, a video, a new video with errors, sales and the outbox', async () => {
    const { context, page } = await open();
    try {
      await page.goto(url);
      await signIn(page, admin);
      const found = [
        ...(await audit(page, 'admin-home', visit(page, '/'))),
        ...(await audit(page, 'admin-title', visit(page, `/videos/${sample.videoId}`))),
        ...(await audit(page, 'admin-list', visit(page, '/admin'))),
        ...(await audit(page, 'admin-video', visit(page, `/admin/videos/${sample.videoId}`))),
        ...(await audit(page, 'admin-new', visit(page, '/admin/videos/new'))),
        ...(await audit(page, 'admin-new-errors', async () => {
          await page.goto(`${url}/admin/videos/new`);
          await page.getByTestId('video-form-submit').click();
          await page.locator('[aria-invalid="true"]').first().waitFor();
        })),
        ...(await audit(page, 'admin-sales', visit(page, '/admin/sales'))),
        ...(await audit(page, 'admin-outbox', visit(page, '/admin/outbox'))),
        ...(await audit(page, 'admin-users', visit(page, '/admin/users'))),
        ...(await audit(page, 'admin-account', visit(page, '/account'))),
      ];
      // The refused form: each error is tied to its field, in Japanese, and the summary has focus.
      await page.goto(`${url}/admin/videos/new`);
      await page.getByTestId('field-price').fill('1.5');
      await page.getByTestId('video-form-submit').press('Enter');
      const title = page.getByTestId('field-title');
      await expect.poll(() => title.getAttribute('aria-invalid')).toBe('true');
      expect(await title.getAttribute('aria-describedby')).toBe('video-title-error');
      expect((await page.locator('#video-title-error').textContent())?.trim()).toBe('入力してください');
      expect(await page.getByTestId('field-price').getAttribute('aria-describedby')).toBe('video-price-error');
      expect((await page.locator('#video-price-error').textContent())?.trim()).toBe('整数で入力してください');
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
        .toBe('form-error');
      expect(await page.getByTestId('form-error').getAttribute('role')).toBe('alert');
      expect(found).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
