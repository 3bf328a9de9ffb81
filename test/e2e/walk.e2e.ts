import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { A11Y_WIDTHS } from './a11y-support.js';
import { adminToken, createVideo, publishTestVideo } from './fixtures-video.js';
import { signIn } from './flows.js';
import { fitsViewport, launchBrowser, pageIn, screenshot } from './harness.js';

/**
 * The small things a walk through the site found (issue 16): the upload card follows the video
 * after a failed conversion, the failure reason is said once, nothing overflows a 390 px phone,
 * status chips stay on one line, a free title tells a signed-out visitor plainly that it needs
 * a free account, the footer is readable, and reduced motion is honoured.
 */

const kinema = inject('kinema');
const { url, admin } = kinema;
let browser: Browser;
let token = '';
let freeId = '';

beforeAll(async () => {
  browser = await launchBrowser();
  token = await adminToken(kinema);
  freeId = await publishTestVideo(
    kinema,
    token,
    { title: `無料の短編 ${randomBytes(3).toString('hex')}`, priceJpy: 0, freePreview: true },
    { seconds: 2 },
  );
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

async function open(width: keyof typeof A11Y_WIDTHS): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: A11Y_WIDTHS[width], locale: 'ja-JP' });
  context.setDefaultTimeout(20_000);
  return { context, page: await pageIn(context) };
}

/** An MP4 by its first box (the browser and the store accept it) whose media is noise: ffmpeg fails. */
function brokenMp4(): string {
  const ftyp = Buffer.concat([
    Buffer.from([0, 0, 0, 24]),
    Buffer.from('ftypisom'),
    Buffer.from([0, 0, 2, 0]),
    Buffer.from('isommp41'),
  ]);
  const noise = randomBytes(64 * 1024);
  const mdat = Buffer.concat([Buffer.alloc(4), Buffer.from('mdat'), noise]);
  mdat.writeUInt32BE(mdat.length, 0);
  const path = join(tmpdir(), `kinema-broken-${process.pid}.mp4`);
  writeFileSync(path, Buffer.concat([ftyp, mdat]));
  return path;
}

/** Each element's text sits on one line (a wrapped chip has two client rects for its text). */
const lines = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((elements) =>
    elements.map((element) => {
      const range = document.createRange();
      range.selectNodeContents(element);
      const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      return tops.size;
    }),
  );

describe('the walk’s small things', () => {
  test('after a failed conversion the upload card offers a new file, says the reason once and fits a phone', async () => {
    const { context, page } = await open('phone');
    try {
      const videoId = await createVideo(kinema, token, { title: '変換に失敗する作品' });
      await page.goto(`${url}/admin/videos/${videoId}`);
      await page.waitForURL(/\/oidc\//);
      await signIn(page, admin, { fromHeader: false });
      await page.getByTestId('upload-input').setInputFiles(brokenMp4());
      // Refused when the upload completes (draft, with the reason) or failed in the pipeline:
      // either way the page ends up saying why.
      const main = page.locator('main');
      const why = page.locator(
        '[data-testid="media-error"], [data-testid="video-failure-reason"], [data-testid="upload-error"]',
      );
      await why
        .first()
        .waitFor({ timeout: 90_000 })
        .catch(async (error: unknown) => {
          throw new Error(`no failure shown; the page says: ${(await main.innerText()).slice(0, 800)}`, {
            cause: error,
          });
        });
      await page.waitForTimeout(2_500); // a refresh after the failure settles
      const status = await page.getByTestId('video-state').getAttribute('data-status');
      expect(['failed', 'draft']).toContain(status);
      if (status === 'failed') {
        await expect.poll(() => main.innerText(), { timeout: 10_000 }).toContain('変換に失敗しました');
      }
      // The card follows the video: a file picker again, no "変換を始めています" left over.
      await page.getByTestId('upload-input').waitFor({ state: 'attached' });
      expect(await main.innerText()).not.toContain('変換を始めています');
      // The reason, whatever it says, appears once on the page.
      const reason = (await why.first().innerText())
        .split('\n')
        .at(-1)!
        .replace(/^.*[:：]\s*/, '')
        .trim();
      expect(reason.length).toBeGreaterThan(0);
      expect((await main.innerText()).split(reason).length - 1).toBe(1);
      expect(await fitsViewport(page)).toBe(true);
      await screenshot(page, 'walk-upload-failed', 'phone');
      await page.setViewportSize(A11Y_WIDTHS.desktop);
      await screenshot(page, 'walk-upload-failed', 'desktop');
    } finally {
      await context.close();
    }
  });

  test('status and publish chips stay on one line at every width', async () => {
    const { context, page } = await open('desktop');
    try {
      await page.goto(`${url}/admin`);
      await page.waitForURL(/\/oidc\//);
      await signIn(page, admin, { fromHeader: false });
      for (const width of ['desktop', 'tablet', 'phone'] as const) {
        await page.setViewportSize(A11Y_WIDTHS[width]);
        const chips = await lines(page, '[data-testid="published-flag"], [data-testid="status-badge"]');
        expect(chips.length).toBeGreaterThan(0);
        expect(
          chips.every((count) => count === 1),
          `${width}: ${chips.join(',')}`,
        ).toBe(true);
        expect(await fitsViewport(page), width).toBe(true);
        await screenshot(page, 'walk-admin-list', width);
      }
    } finally {
      await context.close();
    }
  });

  test('a free title tells a signed-out visitor it needs a free account, with sign-up, and no Play', async () => {
    const { context, page } = await open('phone');
    try {
      await page.goto(`${url}/videos/${freeId}`);
      const panel = page.getByTestId('access-panel');
      expect(await panel.getAttribute('data-reason')).toBe('free_account_required');
      expect(await panel.innerText()).toContain('無料アカウント');
      expect(await page.getByTestId('play-button').count()).toBe(0);
      expect(await page.getByTestId('player-play').count()).toBe(0);
      const signup = page.getByTestId('access-free-signup');
      expect(await signup.getAttribute('href')).toBe(
        `/auth/signup?returnTo=${encodeURIComponent(`/videos/${freeId}`)}`,
      );
      await screenshot(page, 'walk-free-title-signed-out', 'phone');
      // The home card still says the title is free.
      await page.goto(url);
      const card = page.locator(`[data-testid="video-card"][data-video-id="${freeId}"]`).first();
      await card.getByTestId('video-card-free').waitFor();

      // Signed in, the same title plays (free_preview).
      await page.goto(`${url}/videos/${freeId}`);
      await signIn(page, admin);
      await page.goto(`${url}/videos/${freeId}`);
      expect(await panel.getAttribute('data-can-watch')).toBe('true');
    } finally {
      await context.close();
    }
  });

  test('the footer reads at 4.5:1 or more, and reduced motion stops transitions', async () => {
    const { context, page } = await open('desktop');
    try {
      await page.goto(url);
      const ratios = await page.locator('.site-footer span, .site-footer p').evaluateAll((elements) => {
        const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const luminance = (value: string) => {
          const [r = 0, g = 0, b = 0] = rgb(value).map((channel) => {
            const c = channel / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const background = luminance(getComputedStyle(document.querySelector('.site-footer')!).backgroundColor);
        return elements
          .filter((element) => element.textContent?.trim())
          .map((element) => {
            const text = luminance(getComputedStyle(element).color);
            return (Math.max(text, background) + 0.05) / (Math.min(text, background) + 0.05);
          });
      });
      expect(ratios.length).toBeGreaterThan(2);
      for (const ratio of ratios) expect(ratio).toBeGreaterThanOrEqual(4.5);

      const transition = () =>
        page
          .locator('.button')
          .first()
          .evaluate((element) => getComputedStyle(element).transitionDuration);
      expect(await transition()).not.toMatch(/^0s(, 0s)*$/);
      await page.emulateMedia({ reducedMotion: 'reduce' });
      expect(await transition()).toMatch(/^0s(, 0s)*$/);
    } finally {
      await context.close();
    }
  });
});
