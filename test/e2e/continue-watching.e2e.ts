import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { adminToken, publishTestVideo, SAMPLE_SECONDS } from './fixtures-video.js';
import { signIn, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, screenshot } from './harness.js';
import type { Credentials, ViewportName } from './harness.js';

/**
 * Continue watching, resume, up next and my list, as a viewer: two short free-preview titles that
 * share a genre and a performer (anyone signed in may watch them, so no purchase is needed).
 */
const kinema = inject('kinema');
const { url } = kinema;
let browser: Browser;
const run = Math.random().toString(36).slice(2, 7);
const GENRE = `E2E続き${run}`;
const episode1 = { id: '', title: `E2E 続きを観る — 第一話 ${run}` };
const episode2 = { id: '', title: `E2E 続きを観る — 第二話 ${run}` };

beforeAll(async () => {
  browser = await launchBrowser();
  const token = await adminToken(kinema);
  const facts = { cast: [`続き 太郎 ${run}`], genres: [GENRE], freePreview: true, priceJpy: 300 };
  // The newer title is the first episode, so it leads "more like this"-style pools as well.
  episode2.id = await publishTestVideo(kinema, token, { ...facts, title: episode2.title }, { seconds: SAMPLE_SECONDS });
  episode1.id = await publishTestVideo(kinema, token, { ...facts, title: episode1.title }, { seconds: SAMPLE_SECONDS });
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

const media = (page: Page) => page.getByTestId('player-video');
const currentTime = (page: Page) => media(page).evaluate((element: HTMLVideoElement) => element.currentTime);

/** Opens the title page and plays it (the page's Play button); waits until time moves. */
async function play(page: Page, videoId: string) {
  await page.goto(`${url}/videos/${videoId}`);
  await page.getByTestId('play-button').click();
  await expect.poll(() => page.getByTestId('player').getAttribute('data-state'), { timeout: 30_000 }).toBe('playing');
}

/** Seeks the playing title to `seconds` and pauses there; waits for the position to reach the server. */
async function pauseAt(page: Page, videoId: string, seconds: number) {
  const saved = page.waitForResponse(
    (response) => response.url().endsWith(`/videos/${videoId}/progress`) && response.request().method() === 'PUT',
  );
  await media(page).evaluate(async (element: HTMLVideoElement, at: number) => {
    element.pause();
    element.currentTime = at;
    await new Promise((done) => element.addEventListener('seeked', done, { once: true }));
    // A paused seek is a pause at a new place: the player reports it like a pause.
    element.dispatchEvent(new Event('pause'));
  }, seconds);
  const response = await saved;
  expect(response.status()).toBe(200);
}

async function signedUpViewer(
  viewport: ViewportName,
): Promise<{ page: Page; person: Credentials; close: () => Promise<void> }> {
  const person = newPerson('watcher');
  const { context, page } = await newPage(browser, viewport);
  await page.goto(url);
  await signUp(page, person);
  return { page, person, close: () => context.close() };
}

describe.each(['desktop', 'phone'] as const)('continue watching (%s)', (viewport) => {
  test('resumes after a reload and on a second browser; home shows the row; up next at the end; my list', async () => {
    const viewer = await signedUpViewer(viewport);
    const { page } = viewer;
    try {
      // Watch the first episode to 6 s and pause: the position is kept.
      await play(page, episode1.id);
      await pauseAt(page, episode1.id, 6);

      // A reload resumes there, with "start over" offered. (The pause may have come within 5 s of
      // the report before it: the service then holds it to the end of its window.)
      const note = page.getByTestId('resume-note');
      await expect
        .poll(
          async () => {
            await page.reload();
            await note.waitFor({ timeout: 5_000 }).catch(() => undefined);
            return Number((await note.getAttribute('data-start-at', { timeout: 1_000 }).catch(() => null)) ?? 0);
          },
          { timeout: 20_000, interval: 1_000 },
        )
        .toBeCloseTo(6, 0);
      await expect.poll(async () => (await note.textContent()) ?? '').toContain('0:06');
      await expect.poll(() => page.getByTestId('start-over').isVisible()).toBe(true);
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, 'resume-note', viewport);
      await page.getByTestId('play-button').click();
      await expect.poll(() => currentTime(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(5.5);

      // Leaving the page (pagehide → sendBeacon) keeps the newer place.
      await media(page).evaluate(async (element: HTMLVideoElement) => {
        element.pause();
        element.currentTime = 8;
        await new Promise((done) => element.addEventListener('seeked', done, { once: true }));
        element.dispatchEvent(new Event('timeupdate'));
      });
      // Nothing else reports 8 s: only the page's hide/unload beacon can (Playwright does not list
      // beacons sent while a page unloads, so the second browser is the witness).
      await page.goto('about:blank');

      // Another browser, the same viewer: home shows the row with a progress bar, the title resumes.
      const { context: other, page: second } = await newPage(browser, viewport);
      try {
        await second.goto(url);
        await signIn(second, viewer.person);
        await second.goto(url);
        const row = second.locator('[data-row="continue-watching"]');
        await row.waitFor();
        const card = row.locator(`[data-video-id="${episode1.id}"]`);
        await card.waitFor();
        const percent = Number(await card.getByTestId('video-card-progress').getAttribute('data-percent'));
        expect(percent).toBeGreaterThan(40);
        expect(percent).toBeLessThan(95);
        // Titles first: the row is on the first screen at this width.
        const box = await row.boundingBox();
        expect(box!.y).toBeLessThan((second.viewportSize()?.height ?? 0) - 100);
        expect(await second.locator('.hero').count()).toBe(0);
        expect(await fitsViewport(second)).toBe(true);
        await screenshot(second, 'home-continue-watching', viewport);

        await card.click();
        await second.getByTestId('resume-note').waitFor();
        // The beacon's 8 s came within 5 s of the previous write, so the service held it for the
        // rest of its window (coalescing): it lands a few seconds later, never lost.
        await expect
          .poll(
            async () => {
              await second.goto(`${url}/videos/${episode1.id}`);
              return Number(await second.getByTestId('resume-note').getAttribute('data-start-at'));
            },
            { timeout: 15_000, interval: 1_000 },
          )
          .toBeGreaterThanOrEqual(7.5);

        // "Start over" plays from the beginning instead.
        await second.getByTestId('start-over').click();
        await expect
          .poll(() => second.getByTestId('player').getAttribute('data-state'), { timeout: 30_000 })
          .toBe('playing');
        await expect.poll(() => currentTime(second), { timeout: 20_000 }).toBeGreaterThan(0.2);
        expect(await currentTime(second)).toBeLessThan(5);

        // To the end: the up-next card offers the other episode with a countdown that can be cancelled.
        await media(second).evaluate((element: HTMLVideoElement) => {
          element.currentTime = Math.max(0, element.duration - 1);
          void element.play();
        });
        const upNext = second.getByTestId('up-next');
        await upNext.waitFor({ timeout: 30_000 });
        expect(await upNext.getAttribute('data-video-id')).toBe(episode2.id);
        expect(await second.getByTestId('up-next-title').textContent()).toBe(episode2.title);
        const countdown = second.getByTestId('up-next-countdown');
        const start = Number(await countdown.getAttribute('data-seconds'));
        await expect.poll(async () => Number(await countdown.getAttribute('data-seconds'))).toBeLessThan(start);
        // The card leaves the control bar in reach: nothing lies over its buttons or the seek bar.
        for (const control of ['player-toggle', 'player-seek', 'fullscreen-button']) {
          const box = (await second.getByTestId(control).boundingBox())!;
          const onTop = await second.evaluate(
            ([x, y]) => document.elementFromPoint(x!, y!)?.closest('[data-testid]')?.getAttribute('data-testid'),
            [box.x + box.width / 2, box.y + box.height / 2],
          );
          expect(onTop, `${control} is not covered`).toBe(control);
          const card = (await upNext.boundingBox())!;
          const overlaps =
            card.x < box.x + box.width &&
            box.x < card.x + card.width &&
            card.y < box.y + box.height &&
            box.y < card.y + card.height;
          expect(overlaps, `the card overlaps ${control}`).toBe(false);
        }
        expect(await fitsViewport(second), 'the page with the card fits the width').toBe(true);
        await second.evaluate(() => window.scrollTo(0, 0));
        await screenshot(second, 'up-next', viewport);
        if (viewport === 'phone') {
          await second.setViewportSize({ width: 390, height: 844 });
          expect(await fitsViewport(second)).toBe(true);
          await screenshot(second, 'up-next-390', viewport);
        }
        await second.getByTestId('up-next-cancel').click();
        await upNext.waitFor({ state: 'detached' });
        await second.waitForTimeout(1_500);
        expect(second.url()).toContain(episode1.id);

        // Finished titles drop out of the row (the end's report may wait out the 5 s window).
        await expect
          .poll(
            async () => {
              await second.goto(url);
              return second.locator(`[data-row="continue-watching"] [data-video-id="${episode1.id}"]`).count();
            },
            { timeout: 15_000, interval: 1_000 },
          )
          .toBe(0);

        // My list: add from a card, see the row, remove on the title page.
        const secondCard = second.locator(`[data-testid="catalog-grid"] [data-video-id="${episode2.id}"]`);
        await secondCard.waitFor();
        const toggle = second
          .locator('.card-shell', { has: second.locator(`[data-video-id="${episode2.id}"]`) })
          .first()
          .getByTestId('card-list-toggle');
        const added = second.waitForResponse(
          (response) => response.url().endsWith(`/videos/${episode2.id}/list`) && response.request().method() === 'PUT',
        );
        await toggle.click();
        expect((await added).status()).toBe(200);
        await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
        await second.reload();
        const listRow = second.locator('[data-row="my-list"]');
        await listRow.locator(`[data-video-id="${episode2.id}"]`).waitFor();
        await screenshot(second, 'home-my-list', viewport);
        await second.goto(`${url}/videos/${episode2.id}`);
        const listButton = second.getByTestId('list-toggle');
        expect(await listButton.getAttribute('aria-pressed')).toBe('true');
        const removed = second.waitForResponse(
          (response) =>
            response.url().endsWith(`/videos/${episode2.id}/list`) && response.request().method() === 'DELETE',
        );
        await listButton.click();
        expect((await removed).status()).toBe(200);
        await expect.poll(() => listButton.getAttribute('aria-pressed')).toBe('false');
        // The tags lead to search; "more like this" shows the other episode.
        expect(await second.getByTestId('genre-link').first().getAttribute('href')).toBe(
          `/search?genre=${encodeURIComponent(GENRE)}`,
        );
        await second.locator(`[data-row="related"] [data-video-id="${episode1.id}"]`).waitFor();
        await second.goto(url);
        expect(await second.locator('[data-row="my-list"]').count()).toBe(0);
      } finally {
        await other.close();
      }
    } finally {
      await viewer.close();
    }
  });
});

describe('up next plays on', () => {
  test('"play now" opens the next title and plays it', async () => {
    const viewer = await signedUpViewer('desktop');
    try {
      await play(viewer.page, episode1.id);
      await media(viewer.page).evaluate((element: HTMLVideoElement) => {
        element.currentTime = Math.max(0, element.duration - 1);
        void element.play();
      });
      await viewer.page.getByTestId('up-next-play').click();
      await viewer.page.waitForURL(new RegExp(`/videos/${episode2.id}$`));
      await expect
        .poll(() => viewer.page.getByTestId('player').getAttribute('data-state'), { timeout: 30_000 })
        .toBe('playing');
    } finally {
      await viewer.close();
    }
  });

  test('a visitor sees the short introduction, titles within the first screen on a phone', async () => {
    const { context, page } = await newPage(browser, 'phone');
    try {
      await page.goto(url);
      const grid = page.getByTestId('catalog-grid');
      await grid.waitFor();
      const box = await grid.boundingBox();
      expect(box!.y).toBeLessThan(844);
      expect(await fitsViewport(page)).toBe(true);
      await screenshot(page, 'home-visitor', 'phone');
    } finally {
      await context.close();
    }
  });
});
