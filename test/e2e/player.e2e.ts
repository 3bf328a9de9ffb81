import type { Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { playFromStart, signIn } from './flows.js';
import { join } from 'node:path';
import { newPage, screenshotDir } from './harness.js';
import { withSampleTitle } from './sample-title.js';
import type { ViewportName } from './harness.js';

const kinema = inject('kinema');
const { url, admin } = kinema;
const sample = withSampleTitle();

const attr = (page: Page, name: string) => page.getByTestId('player').getAttribute(name);
const video = (page: Page) => page.getByTestId('player-video');
const currentTime = (page: Page) => video(page).evaluate((element: HTMLVideoElement) => element.currentTime);
const volumeLevel = (page: Page) =>
  page.evaluate(() => document.querySelector('media-controller')?.getAttribute('mediavolumelevel') ?? null);
const fullscreenTag = (page: Page) => page.evaluate(() => document.fullscreenElement?.localName ?? null);

/** Presses a key and waits until the position has moved by `by` seconds (within a frame or two). */
async function seekBy(page: Page, key: string, from: number, by: number, duration: number) {
  const expected = Math.min(duration, Math.max(0, from + by));
  await page.keyboard.press(key);
  await expect.poll(() => currentTime(page), { timeout: 5_000 }).toBeCloseTo(expected, 0);
  return currentTime(page);
}

describe('the player (media-chrome)', () => {
  for (const viewport of ['phone', 'desktop'] as const satisfies readonly ViewportName[]) {
    test(`keyboard and quality change in fullscreen, a thumbnail while seeking (${viewport})`, async () => {
      const { context, page } = await newPage(sample.browser, viewport);
      try {
        await page.goto(url);
        await signIn(page, admin);
        const consoleErrors: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') consoleErrors.push(message.text());
        });
        await page.goto(`${url}/videos/${sample.videoId}`);
        await playFromStart(page);
        await expect.poll(() => attr(page, 'data-state'), { timeout: 20_000 }).toBe('playing');
        // The title page's own Play button steps aside while the player runs.
        expect(await page.getByTestId('play-button').count()).toBe(0);
        await expect.poll(() => currentTime(page), { timeout: 20_000 }).toBeGreaterThan(0.5);
        expect(await attr(page, 'data-thumbnails')).toBe('yes');
        // Scrolled into view below the sticky header, not under it.
        await expect
          .poll(async () => {
            const header = await page.locator('header').first().boundingBox();
            const player = await page.getByTestId('player').boundingBox();
            return Math.round(player!.y - (header!.y + header!.height));
          })
          .toBeGreaterThanOrEqual(0);
        // Control names follow the page's language (Japanese).
        expect(await page.getByTestId('fullscreen-button').getAttribute('aria-label')).toBe('全画面表示');

        // Fullscreen is the controller's (the control bar comes along), entered from the bar.
        await page.getByTestId('fullscreen-button').click();
        await expect.poll(() => fullscreenTag(page)).toBe('media-controller');

        // The keyboard: k pauses, ←/→ move 5 s, j/l 10 s, m mutes, k plays again.
        await page.keyboard.press('k');
        await expect.poll(() => attr(page, 'data-status')).toBe('paused');
        const duration = await video(page).evaluate((element: HTMLVideoElement) => element.duration);
        // 0 → 5 → 0 → 10 → 0: inside the 12 s sample, clear of its end, where media-chrome stops a
        // seek at the seekable end it last heard of (10.6 s once, in a dry run), not at the duration.
        let at = await seekBy(page, 'j', await currentTime(page), -10, duration);
        expect(at).toBeCloseTo(0, 0);
        at = await seekBy(page, 'ArrowRight', at, 5, duration);
        at = await seekBy(page, 'ArrowLeft', at, -5, duration);
        at = await seekBy(page, 'l', at, 10, duration);
        at = await seekBy(page, 'j', at, -10, duration);
        expect(await attr(page, 'data-status')).toBe('paused');
        await page.keyboard.press('m');
        await expect.poll(() => video(page).evaluate((element: HTMLVideoElement) => element.muted)).toBe(true);
        // media-chrome decides mute or unmute from its own state, which follows the element a moment later.
        await expect.poll(() => volumeLevel(page)).toBe('off');
        await page.keyboard.press('m');
        await expect.poll(() => video(page).evaluate((element: HTMLVideoElement) => element.muted)).toBe(false);
        await page.keyboard.press('k');
        await expect.poll(() => attr(page, 'data-status')).toBe('playing');
        expect(await fullscreenTag(page)).toBe('media-controller');

        // Quality, still in fullscreen, by keyboard: the menu opens on the best rung with Auto
        // checked (naming its rung); ↑ wraps to Auto, ↑ again to the lowest rung, Enter picks it,
        // and that rung is what plays.
        await page.getByTestId('quality-button').click();
        const menu = page.getByTestId('quality-menu');
        await expect.poll(() => menu.isVisible()).toBe(true);
        const items = menu.locator('[role="menuitemradio"]');
        const auto = menu.locator('[role="menuitemradio"][value="auto"]');
        expect(await auto.getAttribute('aria-checked')).toBe('true');
        expect((await auto.textContent())?.trim()).toMatch(/^自動 \(\d+p\)$/);
        expect(await items.count()).toBeGreaterThanOrEqual(4);
        const focused = () =>
          page.evaluate(() =>
            document.querySelector('media-rendition-menu')?.shadowRoot?.activeElement?.getAttribute('value'),
          );
        await expect.poll(focused).toBe(await items.first().getAttribute('value'));
        await page.keyboard.press('ArrowUp');
        expect(await focused()).toBe('auto');
        await page.keyboard.press('ArrowUp');
        expect(await focused()).toBe('0');
        await page.keyboard.press('Enter');
        await expect.poll(() => attr(page, 'data-selected-level')).toBe('0');
        await expect.poll(() => attr(page, 'data-playing-level'), { timeout: 20_000 }).toBe('0');
        expect(await fullscreenTag(page)).toBe('media-controller');
        await page.getByTestId('quality-button').click();
        await expect.poll(() => menu.isVisible()).toBe(true);
        expect(await menu.locator('[role="menuitemradio"][value="0"]').getAttribute('aria-checked')).toBe('true');
        // The fullscreen view itself (a full-page capture would show the page behind it).
        await page.screenshot({ path: join(screenshotDir, `player-fullscreen-quality-${viewport}.png`) });
        // media-chrome moves focus into the menu when its opening transition ends; an Escape
        // pressed before that (a loaded machine) reaches no menu.
        await expect.poll(focused).toBeTruthy();
        await page.keyboard.press('Escape');
        await expect.poll(() => menu.isVisible()).toBe(false);

        // Out of fullscreen with f; then the storyboard frame under the pointer on the seek bar.
        await page.getByTestId('player-toggle').focus();
        await page.keyboard.press('f');
        await expect.poll(() => fullscreenTag(page)).toBe(null);
        const seek = page.getByTestId('player-seek');
        const box = (await seek.boundingBox())!;
        const middle = box.y + box.height / 2;
        if (viewport === 'phone') {
          // A thumb drags the seek bar: the frame shows while dragging.
          await page.mouse.move(box.x + box.width * 0.4, middle);
          await page.mouse.down();
          await page.mouse.move(box.x + box.width * 0.75, middle, { steps: 8 });
        } else {
          await page.mouse.move(box.x + box.width * 0.5, middle);
          await page.mouse.move(box.x + box.width * 0.75, middle, { steps: 8 });
        }
        const thumbnail = page.locator('media-preview-thumbnail');
        await expect
          .poll(() => thumbnail.getAttribute('mediapreviewimage'), { timeout: 10_000 })
          .toMatch(new RegExp(`/media/videos/${sample.videoId}/hls/storyboard/sheet-001\\.jpg#xywh=\\d+,0,160,90$`));
        const coords = (await thumbnail.getAttribute('mediapreviewcoords'))!.split(' ').map(Number);
        // At 75 % of 12 s (9 s) the 2 s frames give the fifth tile: x = 4 · 160.
        expect(coords).toEqual([640, 0, 160, 90]);
        // Shown after media-chrome's short fade-in.
        await expect.poll(() => thumbnail.isVisible(), { timeout: 5_000 }).toBe(true);
        await page.waitForTimeout(800);
        const shown = (await thumbnail.boundingBox())!;
        expect(shown.width).toBeGreaterThan(100);
        await page.screenshot({ path: join(screenshotDir, `player-seek-thumbnail-${viewport}.png`) });
        if (viewport === 'phone') await page.mouse.up();
        // The sprite came through the cookie gate like the segments.
        const sheet = await page.evaluate(
          (src) => fetch(src, { credentials: 'include' }).then((response) => response.status),
          `/media/videos/${sample.videoId}/hls/storyboard/sheet-001.jpg`,
        );
        expect(sheet).toBe(200);
        expect((await fetch(`${url}/media/videos/${sample.videoId}/hls/storyboard/sheet-001.jpg`)).status).toBe(403);
        expect(consoleErrors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  test('on a phone the quality menu fits inside the picture, every rung in view and pickable', async () => {
    const { context, page } = await newPage(sample.browser, 'phone');
    try {
      await page.goto(url);
      await signIn(page, admin);
      await page.goto(`${url}/videos/${sample.videoId}`);
      await playFromStart(page);
      await expect.poll(() => attr(page, 'data-levels'), { timeout: 20_000 }).not.toBe('0');
      const menu = page.getByTestId('quality-menu');
      const screen = page.locator('.screen');
      // 375 px wide: a 211 px-high picture, where the lowest rung is picked; 390 × 844 (219 px),
      // where Auto is picked back.
      for (const [size, pick, level] of [
        [{ width: 375, height: 812 }, '0', '0'],
        [{ width: 390, height: 844 }, 'auto', '-1'],
      ] as const) {
        await page.setViewportSize(size);
        await page.evaluate(() => window.scrollTo(0, 0));
        const picture = (await screen.boundingBox())!;
        expect(Math.round(picture.height)).toBe(Math.round((size.width * 9) / 16));
        await page.getByTestId('quality-button').click();
        await expect.poll(() => menu.isVisible()).toBe(true);
        await page.waitForTimeout(300); // media-chrome's open transition
        const open = (await menu.boundingBox())!;
        // Inside the picture, whole: not cut off at its top edge. Within 1 px: layout rounds to half
        // pixels (a dry run measured 425.53 against 425.03); a clipped menu was 14 px out.
        expect(open.y).toBeGreaterThanOrEqual(picture.y - 1);
        expect(open.y + open.height).toBeLessThanOrEqual(picture.y + picture.height + 1);
        expect(open.x).toBeGreaterThanOrEqual(picture.x - 1);
        await page.screenshot({ path: join(screenshotDir, `player-quality-menu-phone-${size.width}.png`) });
        // Every rung and Auto are in view as it opens: no hidden rows below a scroll.
        const items = menu.locator('[role="menuitemradio"]');
        expect(await items.count()).toBeGreaterThanOrEqual(4);
        for (const box of await Promise.all((await items.all()).map((item) => item.boundingBox()))) {
          expect(box!.y).toBeGreaterThanOrEqual(open.y - 0.5);
          expect(box!.y + box!.height).toBeLessThanOrEqual(open.y + open.height + 0.5);
          // Still a comfortable target for a thumb (WCAG 2.5.8 asks 24 px).
          expect(box!.height).toBeGreaterThanOrEqual(24);
        }
        await menu.locator(`[role="menuitemradio"][value="${pick}"]`).click();
        await expect.poll(() => attr(page, 'data-selected-level')).toBe(level);
        await expect.poll(() => menu.isVisible()).toBe(false);
        // Settled on the rung before the next round: the menu redraws its rows (and media-chrome
        // closes it, the focused row gone) when the playing rung changes under it.
        if (level !== '-1') await expect.poll(() => attr(page, 'data-playing-level'), { timeout: 20_000 }).toBe(level);
      }
    } finally {
      await context.close();
    }
  });

  test('the status line follows the player: paused, then ended', async () => {
    const { context, page } = await newPage(sample.browser, 'desktop');
    try {
      await page.goto(url);
      await signIn(page, admin);
      await page.goto(`${url}/videos/${sample.videoId}`);
      await playFromStart(page);
      await expect.poll(() => attr(page, 'data-state'), { timeout: 20_000 }).toBe('playing');
      await expect.poll(() => page.getByTestId('player-status').getAttribute('data-status')).toBe('playing');
      await page.getByTestId('player-toggle').click();
      await expect.poll(() => page.getByTestId('player-status').getAttribute('data-status')).toBe('paused');
      expect((await page.getByTestId('player-status').textContent())?.trim()).toBe('一時停止中');
      const duration = await video(page).evaluate((element: HTMLVideoElement) => element.duration);
      await video(page).evaluate((element: HTMLVideoElement, end: number) => {
        element.currentTime = end - 0.5;
        void element.play();
      }, duration);
      await expect
        .poll(() => page.getByTestId('player-status').getAttribute('data-status'), { timeout: 15_000 })
        .toBe('ended');
      expect((await page.getByTestId('player-status').textContent())?.trim()).toBe('再生が終わりました');
    } finally {
      await context.close();
    }
  });
});
