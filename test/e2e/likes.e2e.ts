import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { adminToken } from './fixtures-video.js';
import { playFromStart, signIn, signUp } from './flows.js';
import { newPage, newPerson, screenshot } from './harness.js';
import { withSampleTitle } from './sample-title.js';

const kinema = inject('kinema');
const { url, admin } = kinema;
const sample = withSampleTitle();

const likeButton = (page: Page) => page.getByTestId('like-button');
const shownCount = async (page: Page) =>
  Number((await page.getByTestId('like-count').textContent())?.replace(/[^\d]/g, ''));
const player = (page: Page) => page.getByTestId('player');
/** The playing video's position: it must keep moving while the count changes. */
const position = (page: Page) =>
  page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')?.currentTime ?? -1);

describe('likes that rise in real time for every viewer', () => {
  test('one viewer likes; the other, playing, sees the count rise and fall without a reload', async () => {
    // The watcher: an admin (allowed to play anything), playing the title.
    const watcher = await newPage(sample.browser, 'desktop');
    // The liker: a new viewer, on a phone.
    const liker = await newPage(sample.browser, 'phone');
    try {
      await watcher.page.goto(url);
      await signIn(watcher.page, admin);
      await watcher.page.goto(`${url}/videos/${sample.videoId}`);
      await playFromStart(watcher.page);
      await expect.poll(() => player(watcher.page).getAttribute('data-state'), { timeout: 20_000 }).toBe('playing');
      // Marks this document: a reload or navigation would drop the mark.
      await watcher.page.evaluate(() => ((window as unknown as { kinemaMark: string }).kinemaMark = 'same page'));
      const before = await shownCount(watcher.page);

      await liker.page.goto(url);
      await signUp(liker.page, newPerson('liker'));
      await liker.page.goto(`${url}/videos/${sample.videoId}`);
      const button = likeButton(liker.page);
      expect(await button.getAttribute('aria-pressed')).toBe('false');
      expect(await button.getAttribute('aria-label')).toMatch(/いいねする/);
      expect(await shownCount(liker.page)).toBe(before);

      const playedBefore = await position(watcher.page);
      await button.click();
      // Optimistic at once on the liker's page, confirmed by the server.
      expect(await button.getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => shownCount(liker.page)).toBe(before + 1);
      expect(await button.getAttribute('aria-label')).toMatch(/取り消す/);

      // The watcher's count rises by itself, while the video keeps playing, on the same document.
      await expect.poll(() => shownCount(watcher.page), { timeout: 5000 }).toBe(before + 1);
      expect(await player(watcher.page).getAttribute('data-state')).toBe('playing');
      await expect.poll(() => position(watcher.page), { timeout: 10_000 }).toBeGreaterThan(playedBefore);
      expect(await watcher.page.evaluate(() => (window as unknown as { kinemaMark?: string }).kinemaMark)).toBe(
        'same page',
      );
      await watcher.page.evaluate(() => window.scrollTo(0, 0)); // the sticky header paints mid-page otherwise
      await screenshot(watcher.page, 'likes-watcher', 'desktop');
      await screenshot(liker.page, 'likes-liker', 'phone');

      // Unlike brings it back, for both.
      await button.click();
      expect(await button.getAttribute('aria-pressed')).toBe('false');
      await expect.poll(() => shownCount(watcher.page), { timeout: 5000 }).toBe(before);
      await expect.poll(() => shownCount(liker.page)).toBe(before);
      expect(await watcher.page.evaluate(() => (window as unknown as { kinemaMark?: string }).kinemaMark)).toBe(
        'same page',
      );

      // A burst of concurrent toggles (double clicks, retries) ends on the exact count everywhere.
      const final = await liker.page.evaluate(async (id) => {
        const path = `/videos/${id}/like`;
        await Promise.all(
          Array.from({ length: 12 }, (_, i) => fetch(path, { method: i % 2 === 0 ? 'PUT' : 'DELETE' })),
        );
        await fetch(path, { method: 'PUT' });
        return ((await (await fetch(path)).json()) as { count: number }).count;
      }, sample.videoId);
      expect(final).toBe(before + 1);
      await expect.poll(() => shownCount(watcher.page), { timeout: 5000 }).toBe(before + 1);
      await expect.poll(() => shownCount(liker.page), { timeout: 5000 }).toBe(before + 1);

      const axe = await new AxeBuilder({ page: liker.page }).include('[data-testid="like"]').analyze();
      expect(axe.violations.map((violation) => violation.id)).toEqual([]);
    } finally {
      await watcher.context.close();
      await liker.context.close();
    }
  });

  test('a signed-out visitor sees the live count and is asked to sign in', async () => {
    const { context, page } = await newPage(sample.browser, 'desktop');
    try {
      await page.goto(`${url}/videos/${sample.videoId}`);
      const button = likeButton(page);
      expect(await button.getAttribute('aria-pressed')).toBe('false');
      expect(await button.getAttribute('aria-label')).toMatch(/ログインして/);
      const count = await shownCount(page);
      await button.click();
      await page.getByTestId('like-signin').waitFor();
      expect(await page.getByTestId('like-note').textContent()).toMatch(/ログインしてください/);
      expect(await shownCount(page)).toBe(count);
      // The count is live for them too: a like elsewhere reaches this page.
      const token = await adminToken(kinema);
      const answer = await fetch(`${url}/api/engagement/videos/${sample.videoId}/like`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
      });
      const { count: after } = (await answer.json()) as { count: number };
      await expect.poll(() => shownCount(page), { timeout: 5000 }).toBe(after);
      await screenshot(page, 'likes-signed-out', 'desktop');
      await fetch(`${url}/api/engagement/videos/${sample.videoId}/like`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
    } finally {
      await context.close();
    }
  });

  test('cards show the like count', async () => {
    const { context, page } = await newPage(sample.browser, 'desktop');
    try {
      await page.goto(url);
      const card = page.locator(`[data-testid="video-card"][data-video-id="${sample.videoId}"]`);
      await card.getByTestId('video-card-likes').waitFor();
      expect(await card.getByTestId('video-card-likes').textContent()).toMatch(/いいね \d+ 件/);
    } finally {
      await context.close();
    }
  });
});
