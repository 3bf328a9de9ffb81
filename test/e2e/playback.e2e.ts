import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { adminToken, SAMPLE, sampleVideo } from './fixtures-video.js';
import { playFromStart, signIn } from './flows.js';
import { fitsViewport, launchBrowser, newPage, screenshot, VIEWPORTS } from './harness.js';
import type { ViewportName } from './harness.js';

const kinema = inject('kinema');
const { url, admin } = kinema;
let browser: Browser;
let videoId = '';

beforeAll(async () => {
  browser = await launchBrowser();
  const token = await adminToken(kinema);
  videoId = await sampleVideo(kinema, token);
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

const player = (page: Page) => page.getByTestId('player');
const attr = (page: Page, name: string) => player(page).getAttribute(name);

/** Every HLS request the page made, with its status. */
function recordHls(page: Page): { url: string; status: number }[] {
  const seen: { url: string; status: number }[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/hls/')) seen.push({ url: response.url(), status: response.status() });
  });
  return seen;
}

async function signedInAdmin(viewport: ViewportName): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await newPage(browser, viewport);
  await opened.page.goto(url);
  await signIn(opened.page, admin);
  return opened;
}

/** A full-page capture of a scrolled page paints the sticky header mid-page: capture from the top. */
async function scrolledToTop(page: Page) {
  await page.evaluate(() => window.scrollTo(0, 0));
}

/** media-chrome's rendition menu: its items' values are hls.js level indexes, `auto` is Auto. */
const qualityItems = (page: Page) => page.getByTestId('quality-menu').locator('[role="menuitemradio"]');

/**
 * Opens the quality menu and picks `level`, as a person would: again if the first try missed.
 * media-chrome rebuilds the items when hls.js reports a switch (Auto's label names the rung), so
 * an item can be replaced, or the menu closed, under the pointer; and a page scrolled down can
 * put the menu's top item under the sticky header. Each try starts from the top of the page (the
 * desktop player sits below the header there); the caller then checks the player took the level.
 */
async function chooseQuality(page: Page, level: number | 'auto') {
  const menu = page.getByTestId('quality-menu');
  await vi.waitFor(
    async () => {
      await scrolledToTop(page);
      if (!(await menu.isVisible())) await page.getByTestId('quality-button').click({ timeout: 3_000 });
      await menu.locator(`[role="menuitemradio"][value="${level}"]`).click({ timeout: 3_000 });
    },
    { timeout: 20_000, interval: 250 },
  );
}

describe('protected HLS playback', () => {
  test('Chromium can decode the ladder (H.264 High + AAC-LC in fMP4 through MSE)', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      await page.goto(url);
      const support = await page.evaluate(() => ({
        mse: typeof MediaSource !== 'undefined',
        h264: MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001f,mp4a.40.2"'),
        h264at1080: MediaSource.isTypeSupported('video/mp4; codecs="avc1.640028,mp4a.40.2"'),
      }));
      expect(support).toEqual({ mse: true, h264: true, h264at1080: true });
    } finally {
      await context.close();
    }
  });

  test('the admin plays the title, sees several levels, switches quality by hand, and the video advances', async () => {
    const { context, page } = await signedInAdmin('desktop');
    try {
      const hls = recordHls(page);
      await page.goto(`${url}/videos/${videoId}`);
      expect((await page.getByTestId('video-title').textContent())?.trim()).toBe(SAMPLE.title);
      expect(await page.getByTestId('access-panel').getAttribute('data-reason')).toBe('admin');
      await screenshot(page, 'video-admin', 'desktop');

      await playFromStart(page);
      await expect.poll(() => attr(page, 'data-state'), { timeout: 20_000 }).toBe('playing');
      expect(await attr(page, 'data-engine')).toBe('hls.js');
      // A 1080p source yields the ladder up to 1080p: well over two levels.
      const levels = Number(await attr(page, 'data-levels'));
      expect(levels).toBeGreaterThanOrEqual(3);
      await page.getByTestId('quality-button').click();
      const options = (await qualityItems(page).allTextContents()).map((text) => text.trim());
      expect(options.at(-1)).toMatch(/^自動/);
      expect(options.slice(0, -1).map((text) => text.match(/\d+p/)?.[0])).toContain('1080p');
      await page.keyboard.press('Escape');

      // The cookies are the title's own: HttpOnly, scoped to its HLS path.
      const cookies = (await context.cookies()).filter((cookie) => cookie.name.startsWith('CloudFront-'));
      expect(cookies.map((cookie) => cookie.name).sort()).toEqual([
        'CloudFront-Key-Pair-Id',
        'CloudFront-Policy',
        'CloudFront-Signature',
      ]);
      for (const cookie of cookies)
        expect(cookie).toMatchObject({ httpOnly: true, path: `/media/videos/${videoId}/hls/` });

      // Playing, and time moves.
      const video = page.getByTestId('player-video');
      await expect
        .poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime), { timeout: 20_000 })
        .toBeGreaterThan(0.5);
      await expect.poll(() => attr(page, 'data-playing-level')).not.toBe('-1');

      // By hand: the lowest level, then the highest; the player shows the level actually playing.
      await page.getByTestId('quality-button').click();
      const optionLevels = await qualityItems(page).evaluateAll((elements) =>
        elements
          .map((element) => element.getAttribute('value'))
          .filter((value) => value !== 'auto')
          .map(Number),
      );
      await page.keyboard.press('Escape');
      const highestLevel = optionLevels[0]!;
      const lowestLevel = optionLevels.at(-1)!;
      await chooseQuality(page, lowestLevel);
      await expect.poll(() => attr(page, 'data-selected-level')).toBe(String(lowestLevel));
      await expect.poll(() => attr(page, 'data-playing-level'), { timeout: 20_000 }).toBe(String(lowestLevel));
      const lowLabel = (await page.getByTestId('player-playing-label').textContent())?.trim();
      expect(lowLabel).toMatch(/^\d+p$/);

      await chooseQuality(page, highestLevel);
      await expect.poll(() => attr(page, 'data-playing-level'), { timeout: 20_000 }).toBe(String(highestLevel));
      expect((await page.getByTestId('player-playing-label').textContent())?.trim()).toBe('1080p');
      const before = await video.evaluate((element: HTMLVideoElement) => element.currentTime);
      await expect
        .poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime), { timeout: 10_000 })
        .toBeGreaterThan(before + 0.5);

      await chooseQuality(page, 'auto');
      await expect.poll(() => attr(page, 'data-selected-level')).toBe('-1');
      // Auto names the rung it is playing.
      await page.getByTestId('quality-button').click();
      const autoItem = page.getByTestId('quality-menu').locator('[role="menuitemradio"][value="auto"]');
      expect((await autoItem.textContent())?.trim()).toMatch(/^自動 \(\d+p\)$/);
      await scrolledToTop(page);
      await screenshot(page, 'player', 'desktop');

      // Everything came through the cookie gate: the master, the media playlists, init and segments.
      const segments = hls.filter((entry) => entry.url.endsWith('.m4s'));
      expect(hls.some((entry) => entry.url.endsWith('/master.m3u8') && entry.status === 200)).toBe(true);
      expect(segments.length).toBeGreaterThan(2);
      expect(hls.every((entry) => entry.status === 200 || entry.status === 206)).toBe(true);

      // The edge: no cookies → 403; another title's path with these cookies → 403; with them → 200.
      const segmentUrl = segments[0]!.url;
      const jar = cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
      expect((await fetch(segmentUrl)).status).toBe(403);
      expect((await fetch(segmentUrl, { headers: { cookie: jar } })).status).toBe(200);
      const otherTitle = segmentUrl.replace(
        `/videos/${videoId}/`,
        `/videos/${'0'.repeat(10)}othertitle${'0'.repeat(5)}/`,
      );
      expect((await fetch(otherTitle, { headers: { cookie: jar } })).status).toBe(403);
      const forged = jar.replace(
        /CloudFront-Policy=([^;]+)/,
        (_all, policy: string) => `CloudFront-Policy=${policy.slice(0, -4)}AAAA`,
      );
      expect((await fetch(segmentUrl, { headers: { cookie: forged } })).status).toBe(403);
    } finally {
      await context.close();
    }
  });

  for (const viewport of ['phone', 'tablet'] as const satisfies readonly ViewportName[]) {
    test(`the player fits and plays on a ${viewport}`, async () => {
      const { context, page } = await signedInAdmin(viewport);
      try {
        await page.goto(`${url}/videos/${videoId}`);
        await page.getByTestId('player-play').click();
        await expect.poll(() => attr(page, 'data-state'), { timeout: 20_000 }).toBe('playing');
        await expect
          .poll(() => page.getByTestId('player-video').evaluate((element: HTMLVideoElement) => element.currentTime), {
            timeout: 20_000,
          })
          .toBeGreaterThan(0.5);
        const box = await page.getByTestId('player-video').boundingBox();
        expect(box!.width).toBeLessThanOrEqual(VIEWPORTS[viewport].width);
        expect(Math.abs(box!.width / box!.height - 16 / 9)).toBeLessThan(0.02);
        expect(await fitsViewport(page)).toBe(true);
        await page.getByTestId('quality-button').click();
        await expect.poll(() => page.getByTestId('quality-menu').isVisible()).toBe(true);
        await scrolledToTop(page);
        await screenshot(page, 'player', viewport);
      } finally {
        await context.close();
      }
    });
  }

  test('the player renews its cookies before they expire, and stops with a message when the rental ends', async () => {
    const { context, page } = await signedInAdmin('desktop');
    try {
      // Short grants (7 s) so renewal happens within the test: the first two pass through the real
      // endpoint (its cookies included); the third answers as the API does when a rental has ended.
      const calls: number[] = [];
      await page.route(`**/videos/${videoId}/playback`, async (route) => {
        calls.push(Date.now());
        if (calls.length <= 2) {
          const response = await route.fetch();
          const body = (await response.json()) as Record<string, unknown>;
          const headers = { ...response.headers() };
          delete headers['content-length'];
          await route.fulfill({
            status: response.status(),
            headers,
            json: { ...body, expiresAt: new Date(Date.now() + 7_000).toISOString() },
          });
          return;
        }
        await route.fulfill({
          status: 402,
          json: {
            error: {
              code: 'payment_required',
              message: 'a plan or a rental of this title is needed to watch it',
              details: { reason: 'not_entitled', rentalEndedAt: new Date().toISOString() },
            },
          },
        });
      });
      await page.goto(`${url}/videos/${videoId}`);
      await playFromStart(page);
      await expect.poll(() => attr(page, 'data-state'), { timeout: 20_000 }).toBe('playing');
      expect(calls).toHaveLength(1);
      expect((await context.cookies()).filter((cookie) => cookie.name.startsWith('CloudFront-'))).toHaveLength(3);

      // Renewed at ~80 % of the grant (5.6 s), while the video keeps playing.
      const video = page.getByTestId('player-video');
      await expect.poll(() => calls.length, { timeout: 15_000 }).toBe(2);
      const gap = calls[1]! - calls[0]!;
      expect(gap).toBeGreaterThan(4_500);
      expect(gap).toBeLessThan(7_000);
      expect(await attr(page, 'data-state')).toBe('playing');
      const at = await video.evaluate((element: HTMLVideoElement) => element.currentTime);
      expect(at).toBeGreaterThan(0);

      // The next renewal is refused: playback stops with the rental-ended message.
      await expect.poll(() => attr(page, 'data-state'), { timeout: 15_000 }).toBe('stopped');
      expect(await attr(page, 'data-stop-reason')).toBe('rental_expired');
      expect(await page.getByTestId('player-stopped').textContent()).toContain('レンタルの視聴期間が終了しました');
      expect(await video.evaluate((element: HTMLVideoElement) => element.paused)).toBe(true);
      await scrolledToTop(page);
      await screenshot(page, 'player-rental-ended', 'desktop');
    } finally {
      await context.close();
    }
  });

  test('playback needs a session: anonymous calls get 401 and no cookies', async () => {
    const response = await fetch(`${url}/videos/${videoId}/playback`, { method: 'POST' });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    const crossSite = await fetch(`${url}/videos/${videoId}/playback`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
  });
});
