import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { adminToken, publishTestVideo } from './fixtures-video.js';
import { emailedLink, fillSignUp, followSignUpEmail, signIn, signOut, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, screenshot } from './harness.js';
import type { ViewportName } from './harness.js';

/**
 * Issue 16's accounts: sign-in from any address, the one look of the issuer and checkout pages,
 * forgotten passwords, buying from anywhere, resuming a plan, and a CSP that holds.
 */

const kinema = inject('kinema');
const { url } = kinema;
const loopback = url.replace('//localhost:', '//127.0.0.1:');
const WIDTHS: ViewportName[] = ['phone', 'desktop'];
let browser: Browser;
let videoId = '';

beforeAll(async () => {
  browser = await launchBrowser();
  const token = await adminToken(kinema);
  videoId = await publishTestVideo(
    kinema,
    token,
    {
      title: `アカウント作品 ${Date.now().toString(36)}`,
      description: 'アカウントのブラウザテスト用の作品です。',
      cast: [],
      genres: [],
      priceJpy: 330,
    },
    { seconds: 6 },
  );
}, 400_000);

afterAll(async () => {
  await browser?.close();
});

/** Every Content-Security-Policy complaint the page logs. */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}

describe('sign-in from any address', () => {
  for (const viewport of WIDTHS) {
    test(`opened at 127.0.0.1, sign-in ends signed in on the public host (${viewport})`, async () => {
      const { context, page } = await newPage(browser, viewport);
      try {
        const person = newPerson('loopback');
        await page.goto(`${loopback}/`);
        expect(new URL(page.url()).origin).toBe(url);
        await signUp(page, person);
        await signOut(page);

        await page.goto(`${loopback}/account`);
        await page.waitForURL(/\/oidc\/interaction\//);
        expect(new URL(page.url()).origin).toBe(url);
        // The issuer's page wears the site's look: its logo leads home, its language is the site's.
        expect(await page.locator('html').getAttribute('lang')).toBe('ja');
        expect(await page.getByTestId('page-logo').getAttribute('href')).toBe(`${url}/`);
        expect(await page.getByTestId('page-back').count()).toBe(1);
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(background).toBe('rgb(11, 11, 16)');
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'accounts-issuer-signin', viewport);
        await signIn(page, person, { fromHeader: false });
        expect(page.url()).toBe(`${url}/account`);
      } finally {
        await context.close();
      }
    });
  }

  test('a broken sign-in restarts itself once, then says so in the site look with a way back', async () => {
    const { context, page } = await newPage(browser, 'phone');
    try {
      // A callback with no flow cookie (expired, another browser): a fresh sign-in starts.
      await page.goto(`${url}/auth/callback?code=stale&state=stale`);
      await page.waitForURL(/\/oidc\/interaction\//);
      // Broken again within minutes: the page explains instead of looping.
      const second = await page.goto(`${url}/auth/callback?code=stale&state=stale`);
      expect(second?.status()).toBe(400);
      await page.getByTestId('signin-again').waitFor();
      expect(await page.locator('h1').textContent()).toContain('サインインを完了できませんでした');
      expect(await page.getByTestId('signout-button').count()).toBe(0);
      await screenshot(page, 'accounts-signin-expired', 'phone');
      await page.getByTestId('signin-again').click();
      await page.waitForURL(/\/oidc\/interaction\//);
    } finally {
      await context.close();
    }
  });
});

describe('forgotten password', () => {
  test('the emailed link sets a new password once; the new one signs in, the old one no longer', async () => {
    const { context, page } = await newPage(browser, 'phone');
    try {
      const person = newPerson('forgot');
      await page.goto(url);
      await signUp(page, person);
      await signOut(page);

      await page.getByTestId('signin-link').click();
      await page.getByTestId('forgot-password').click();
      await page.locator('input[name="email"]').fill(person.email);
      await screenshot(page, 'accounts-forgot', 'phone');
      await page.getByTestId('forgot-submit').click();
      await page.getByTestId('forgot-sent').waitFor();

      const link = await emailedLink(person.email, /https?:\/\/\S+\/password\/reset\?token=[\w-]+&lang=ja/);
      await page.goto(link);
      const fresh = 'a-brand-new-pass-456';
      await page.locator('input[name="password"]').fill(fresh);
      await page.locator('input[name="password_confirm"]').fill(fresh);
      await page.getByTestId('reset-submit').click();
      await page.getByTestId('reset-done').waitFor();
      await screenshot(page, 'accounts-reset-done', 'phone');

      // Used once: the same link now says so.
      const reused = await page.goto(link);
      expect(reused?.status()).toBe(410);

      await page.goto(url);
      await page.getByTestId('signin-link').click();
      await page.locator('input[name="email"]').fill(person.email);
      await page.locator('input[name="password"]').fill(person.password);
      await page.getByTestId('signin-submit').click();
      await page.locator('[role="alert"]').waitFor();
      await page.locator('input[name="password"]').fill(fresh);
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('signout-button').waitFor();
    } finally {
      await context.close();
    }
  });
});

describe('sign-in settings', () => {
  test('each refusal shows beside its field and is tied to it; a right change is confirmed', async () => {
    const { context, page } = await newPage(browser, 'phone');
    try {
      const person = newPerson('settings');
      await page.goto(url);
      await signUp(page, person);
      await page.goto(`${url}/account`);
      const current = page.locator('#current-password');
      const fresh = page.locator('#new-password');
      const again = page.locator('#new-password-confirm');

      await current.fill('not-my-password-1');
      await fresh.fill('another-pass-789');
      await again.fill('another-pass-789');
      await page.getByTestId('password-submit').click();
      await expect
        .poll(() => page.locator('#current-password-error').textContent())
        .toBe('現在のパスワードが正しくありません。');
      expect(await current.getAttribute('aria-invalid')).toBe('true');
      expect(await current.getAttribute('aria-describedby')).toBe('current-password-error');
      expect(await fresh.getAttribute('aria-describedby')).toBe('new-password-hint');

      await current.fill(person.password);
      await fresh.fill('another-pass-789');
      await again.fill('another-pass-780');
      await page.getByTestId('password-submit').click();
      await expect
        .poll(() => page.locator('#new-password-error').textContent())
        .toBe('確認用の新しいパスワードが一致しません。');
      expect(await fresh.getAttribute('aria-describedby')).toBe('new-password-hint new-password-error');
      expect(await page.locator('#current-password-error').count()).toBe(0);

      await page.locator('#new-email').fill(person.email);
      await page.getByTestId('email-submit').click();
      await expect.poll(() => page.getByTestId('email-error').textContent()).toBe('これは現在のメールアドレスです。');
      expect(await page.locator('#new-email').getAttribute('aria-describedby')).toBe('new-email-error');
      // From the top: a scrolled full-page capture paints the sticky header mid-page.
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, 'accounts-signin-settings-error', 'phone');

      await current.fill(person.password);
      await fresh.fill('another-pass-789');
      await again.fill('another-pass-789');
      await page.getByTestId('password-submit').click();
      await page.getByTestId('password-changed').waitFor();
      expect(await current.getAttribute('aria-invalid')).toBeNull();
    } finally {
      await context.close();
    }
  });
});

describe('buying from anywhere', () => {
  for (const viewport of WIDTHS) {
    test(`a visitor presses Rent, signs up, and lands in checkout; Cancel says cancelled (${viewport})`, async () => {
      const { context, page } = await newPage(browser, viewport);
      try {
        const person = newPerson('intent');
        await page.goto(`${url}/videos/${videoId}`);
        await page.getByTestId('buy-rent').click();
        await page.waitForURL(/\/oidc\/interaction\//);
        await page.getByTestId('to-signup').click();
        await fillSignUp(page, person);
        await page.goto(await emailedLink(person.email, /https?:\/\/\S+\/verify\?token=[\w-]+(&lang=\w+)?/));
        // Straight into checkout for that title, no second press.
        await page.waitForURL(/\/_sandbox\/checkout\//);
        expect(await page.getByTestId('sandbox-amount').textContent()).toMatch(/330/);
        expect(await page.locator('html').getAttribute('lang')).toBe('ja');
        expect(await page.getByTestId('page-logo').count()).toBe(1);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'accounts-sandbox-checkout', viewport);

        await page.getByTestId('sandbox-cancel').click();
        await page.waitForURL(new RegExp(`/videos/${videoId}`));
        const cancelled = page.getByTestId('checkout-cancelled');
        await cancelled.waitFor();
        expect(await cancelled.textContent()).toContain('キャンセルしました');
        expect(await page.getByTestId('checkout-declined').count()).toBe(0);
      } finally {
        await context.close();
      }
    });
  }
});

describe('a cancelled plan', () => {
  test('Cancel offers Keep my plan; a cancelled plan is resumed before its period ends, and the title plays', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    const violations = cspViolations(page);
    try {
      const person = newPerson('resume');
      await page.goto(`${url}/account`);
      await page.waitForURL(/\/oidc\/interaction\//);
      await page.getByTestId('to-signup').click();
      await fillSignUp(page, person);
      await followSignUpEmail(page, person.email);
      await page.waitForURL(`${url}/account`);
      await page.getByTestId('account-subscribe').click();
      await page.waitForURL(/\/_sandbox\/checkout\//);
      await page.getByTestId('sandbox-pay').click();
      await page.waitForURL(/\/account/);
      await expect
        .poll(() => page.getByTestId('account-plan-status').getAttribute('data-status'), { timeout: 30_000 })
        .toBe('active');

      // "Keep my plan" closes the question and changes nothing.
      await page.getByTestId('account-cancel-open').click();
      await page.getByTestId('account-cancel-keep').click();
      expect(await page.getByTestId('account-cancel').getAttribute('open')).toBeNull();
      expect(await page.getByTestId('account-plan-status').getAttribute('data-status')).toBe('active');

      await page.getByTestId('account-cancel-open').click();
      await page.getByTestId('account-cancel-confirm').click();
      await page.getByTestId('account-cancelled').waitFor();
      expect(await page.getByTestId('account-plan-status').getAttribute('data-status')).toBe('cancelled');
      await screenshot(page, 'accounts-plan-cancelled', 'desktop');

      await page.getByTestId('account-resume').click();
      await page.getByTestId('account-resumed').waitFor();
      expect(await page.getByTestId('account-plan-status').getAttribute('data-status')).toBe('active');
      await page.reload();
      expect(await page.getByTestId('account-plan-status').getAttribute('data-status')).toBe('active');
      await page.getByTestId('account-cancel-open').waitFor();
      await screenshot(page, 'accounts-plan-resumed', 'desktop');

      // The player works under the page's CSP (hls.js: MediaSource blob: URLs, media-chrome styles).
      await page.goto(`${url}/videos/${videoId}`);
      await page.getByTestId('play-button').click();
      await expect
        .poll(() => page.getByTestId('player-video').evaluate((video: HTMLVideoElement) => video.currentTime), {
          timeout: 30_000,
        })
        .toBeGreaterThan(0.3);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('pages that defend themselves', () => {
  test("a page's CSP blocks an injected inline script while the page's own scripts run", async () => {
    const { context, page } = await newPage(browser, 'desktop');
    const violations = cspViolations(page);
    try {
      // As if a stored XSS made it into the HTML: the response is rewritten on its way in.
      await page.route(`${url}/videos/${videoId}`, async (route) => {
        const response = await route.fetch();
        const html = (await response.text()).replace(
          '</body>',
          '<script>window.__injected = true</script><img src="x" onerror="window.__injected = true"></body>',
        );
        await route.fulfill({ response, body: html });
      });
      const response = await page.goto(`${url}/videos/${videoId}`);
      const policy = response?.headers()['content-security-policy'] ?? '';
      expect(policy).toMatch(/script-src 'self' 'nonce-[\w+/=]+'/);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain("object-src 'none'");
      // The site's own (nonce'd) scripts hydrated the page: a client-side navigation works.
      await page.getByTestId('nav-home').click();
      await page.waitForURL(`${url}/`);
      expect(await page.evaluate(() => (window as { __injected?: boolean }).__injected)).toBeUndefined();
      expect(violations.length).toBeGreaterThanOrEqual(1);

      // The issuer's and the sandbox's own pages carry theirs.
      for (const path of ['/oidc/password/forgot']) {
        const other = await fetch(`${url}${path}`);
        expect(other.headers.get('content-security-policy'), path).toContain("default-src 'none'");
      }
    } finally {
      await context.close();
    }
  });

  test('another site cannot post to the account forms or the issuer forms', async () => {
    for (const path of [
      '/account?/password',
      '/account?/email',
      '/account?/resume',
      '/oidc/password/forgot',
      '/oidc/password/reset',
    ]) {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=a%40example.com',
        redirect: 'manual',
      });
      expect(response.status, path).toBe(403);
    }
  });
});
