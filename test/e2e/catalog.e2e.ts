import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { adminToken, createVideo, SAMPLE, sampleVideo } from './fixtures-video.js';
import { signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, screenshot, VIEWPORTS } from './harness.js';
import type { ViewportName } from './harness.js';

const kinema = inject('kinema');
const { url } = kinema;
let browser: Browser;
const run = randomUUID().slice(0, 6);

const published = SAMPLE;
const drafts = [`Unreleased draft ${run}`, `未公開の作品 ${run}`];
let publishedId = '';
let draftIds: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  const token = await adminToken(kinema);
  draftIds = await Promise.all(drafts.map((title) => createVideo(kinema, token, { title, priceJpy: 300 })));
  publishedId = await sampleVideo(kinema, token);
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

describe('the catalog, as a viewer sees it', () => {
  for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
    test(`the home grid shows published videos only, and the card opens the video page (${viewport})`, async () => {
      const { context, page } = await newPage(browser, viewport);
      try {
        await page.goto(url);
        const grid = page.getByTestId('catalog-grid');
        await grid.waitFor();
        const card = page.locator(`[data-testid="video-card"][data-video-id="${publishedId}"]`);
        await card.waitFor();
        expect((await card.getByTestId('video-card-title').textContent())?.trim()).toBe(published.title);
        expect((await card.getByTestId('video-card-price').textContent())?.trim()).toMatch(/^[¥￥]440$/);
        // The pipeline made a poster: the card shows it (a real image), not the fallback art.
        const poster = card.locator('img');
        await expect
          .poll(() => poster.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
          .toBeGreaterThan(0);
        expect(await card.locator('.duration').textContent()).toMatch(/0:1[12]\s*$/);

        const shownIds = await page
          .getByTestId('video-card')
          .evaluateAll((cards) => cards.map((element) => element.getAttribute('data-video-id')));
        for (const draftId of draftIds) expect(shownIds).not.toContain(draftId);
        const text = (await grid.textContent()) ?? '';
        for (const title of drafts) expect(text).not.toContain(title);
        expect(await fitsViewport(page)).toBe(true);
        // A full-page capture of a scrolled page paints the sticky header mid-page.
        await page.evaluate(() => window.scrollTo(0, 0));
        await screenshot(page, 'home-grid', viewport);

        await card.click();
        await page.waitForURL(`${url}/videos/${publishedId}`);
        expect((await page.getByTestId('video-title').textContent())?.trim()).toBe(published.title);
        expect(await page.getByTestId('video-description').textContent()).toContain('始発までの数時間');
        // Cast and genres are links to search (issue 15).
        expect(await page.getByTestId('cast-link').allTextContents()).toEqual(['山田 花子', 'John Smith']);
        expect(await page.getByTestId('video-genres').locator('.chip').allTextContents()).toEqual(published.genres);
        expect((await page.getByTestId('video-quality').textContent())?.trim()).toMatch(/1080p$/);
        // Signed out: no player button, a sign-in invitation instead.
        expect(await page.getByTestId('access-panel').getAttribute('data-reason')).toBe('signin_required');
        expect(await page.getByTestId('player-play').count()).toBe(0);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'video', viewport);
      } finally {
        await context.close();
      }
    });
  }

  test('unknown, malformed and unpublished ids answer 404 with the error page', async () => {
    const { context, page } = await newPage(browser, 'phone');
    try {
      for (const id of [draftIds[0], '0000000000unknownvideo0000', 'bad..id', 'UPPER']) {
        const response = await page.goto(`${url}/videos/${id}`);
        expect(response?.status(), id).toBe(404);
        await page.getByTestId('error').waitFor();
      }
      expect(await fitsViewport(page)).toBe(true);
      await screenshot(page, 'video-not-found', 'phone');
    } finally {
      await context.close();
    }
  });

  test('a signed-in viewer without a plan sees the plan/rental box, and playback is refused (402)', async () => {
    const { context, page } = await newPage(browser, 'tablet');
    try {
      await page.goto(url);
      await signUp(page, newPerson());
      await page.goto(`${url}/videos/${publishedId}`);
      await page.getByTestId('access-locked').waitFor();
      expect(await page.getByTestId('play-button').count()).toBe(0);
      const refused = await page.request.post(`${url}/videos/${publishedId}/playback`, { headers: { origin: url } });
      expect(refused.status()).toBe(402);
      expect(refused.headersArray().filter((header) => header.name.toLowerCase() === 'set-cookie')).toEqual([]);
      await screenshot(page, 'video-locked', 'tablet');
    } finally {
      await context.close();
    }
  });

  test('the "show more" endpoint pages the same published list as JSON; a browser visit goes home', async () => {
    const response = await fetch(`${url}/videos`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: { videoId: string; published: boolean }[] };
    expect(page.items.map((item) => item.videoId)).toContain(publishedId);
    expect(page.items.every((item) => item.published)).toBe(true);
    for (const draftId of draftIds) expect(page.items.map((item) => item.videoId)).not.toContain(draftId);
    const html = await fetch(`${url}/videos`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(html.status).toBe(303);
    expect(html.headers.get('location')).toBe('/');
  });
});
