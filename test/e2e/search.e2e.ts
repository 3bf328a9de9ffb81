import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { adminToken, createVideo, publishTestVideo } from './fixtures-video.js';
import { fitsViewport, launchBrowser, newPage, screenshot } from './harness.js';
import type { ViewportName } from './harness.js';

const kinema = inject('kinema');
const { url } = kinema;
const run = randomUUID().slice(0, 6);
let browser: Browser;
let videoId = '';
let draftId = '';

/** One published title to find three ways, and a draft with the same words that must never show. */
const TITLE = `Lighthouse Keeper ${run}`;
const PERFORMER = '新垣 結衣';
const PHRASE = '嵐の夜に古い手紙';

beforeAll(async () => {
  browser = await launchBrowser();
  const token = await adminToken(kinema);
  draftId = await createVideo(kinema, token, {
    title: `Lighthouse Keeper draft ${run}`,
    description: `${PHRASE}を見つける未公開の作品。`,
    cast: [PERFORMER],
    genres: ['ドラマ'],
  });
  videoId = await publishTestVideo(
    kinema,
    token,
    {
      title: TITLE,
      description: `灯台守が${PHRASE}を見つけ、差出人を探しに島を出る。`,
      cast: [PERFORMER, 'Ken Watanabe'],
      genres: ['ドラマ', 'ミステリー'],
      priceJpy: 400,
    },
    { seconds: 2 },
  );
  // Published → search within a second (the sync workflow); wait for it rather than racing it.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const answer = (await (await fetch(`${url}/api/catalog/search?q=${run}`)).json()) as { nbHits: number };
    if (answer.nbHits > 0) break;
    await new Promise((done) => setTimeout(done, 100));
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

/** Types into the header's search and waits for the suggestions of exactly this text. */
async function typeInHeader(page: Page, text: string) {
  const input = page.getByTestId('search-input');
  await input.fill('');
  await input.pressSequentially(text, { delay: 20 });
  await page.locator('#search-suggestions:not([hidden])').waitFor();
  await page.waitForFunction(
    (expected) => document.querySelector('[data-testid="search-all"]')?.textContent?.includes(expected) ?? false,
    text,
  );
  return input;
}

const CASES = [
  { name: 'performer-ja', query: '新垣結衣', marks: 'cast' },
  { name: 'title-typo', query: `lighthuose ${run}`, marks: 'title' },
  { name: 'description-phrase', query: PHRASE, marks: 'description' },
] as const;

describe.each(['desktop', 'phone'] as ViewportName[])('search (%s)', (viewport) => {
  test.each(CASES)(
    '$name: "$query" shows the video first, highlighted; the draft never',
    async ({ name, query, marks }) => {
      const { context, page } = await newPage(browser, viewport);
      try {
        await page.goto(`${url}/`);
        const input = await typeInHeader(page, query);
        const first = page.getByTestId('search-suggestion').first();
        expect(await first.getAttribute('data-video-id')).toBe(videoId);
        expect(await page.locator(`[data-testid="search-suggestion"][data-video-id="${draftId}"]`).count()).toBe(0);
        expect(await input.getAttribute('aria-expanded')).toBe('true');

        // The results page: server-rendered, shareable, with the match marked.
        await input.press('Enter');
        await page.waitForURL((target) => target.pathname === '/search' && target.searchParams.get('q') === query);
        const top = page.getByTestId('search-result').first();
        expect(await top.getAttribute('data-video-id')).toBe(videoId);
        expect(await page.locator(`[data-testid="search-result"][data-video-id="${draftId}"]`).count()).toBe(0);
        expect(await top.getByTestId(`search-result-${marks}`).locator('mark').count()).toBeGreaterThan(0);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, `search-${name}`, viewport);
      } finally {
        await context.close();
      }
    },
  );

  test('keyboard: ↓ chooses, Enter opens the video, Esc closes then clears', async () => {
    const { context, page } = await newPage(browser, viewport);
    try {
      await page.goto(`${url}/`);
      const input = await typeInHeader(page, '新垣');
      if (viewport === 'phone') {
        const box = await input.boundingBox();
        expect(box?.width ?? 0).toBeGreaterThan(300); // a full-width field on phones
      }
      await input.press('ArrowDown');
      const active = await input.getAttribute('aria-activedescendant');
      expect(active).toBe('search-option-0');
      expect(await page.locator(`#${active}`).getAttribute('aria-selected')).toBe('true');
      await screenshot(page, 'search-suggestions', viewport);
      await input.press('Escape');
      expect(await input.getAttribute('aria-expanded')).toBe('false');
      await input.press('Escape');
      expect(await input.inputValue()).toBe('');
      await typeInHeader(page, `lighthouse ${run}`);
      await input.press('ArrowDown');
      await input.press('Enter');
      await page.waitForURL(`${url}/videos/${videoId}`);
    } finally {
      await context.close();
    }
  });
});

test('facets narrow, pages page, and a search with no match offers suggestions', async () => {
  const { context, page } = await newPage(browser, 'desktop');
  try {
    await page.goto(`${url}/search?q=${encodeURIComponent(PERFORMER)}`);
    await page.getByTestId('facet-genre').filter({ hasText: 'ミステリー' }).click();
    await page.waitForURL((target) => target.searchParams.getAll('genre').includes('ミステリー'));
    expect(await page.getByTestId('search-result').first().getAttribute('data-video-id')).toBe(videoId);

    await page.goto(`${url}/search?q=${encodeURIComponent(`zzqx${run}`)}`);
    await page.getByTestId('search-empty').waitFor();
    await screenshot(page, 'search-empty', 'desktop');

    const refused = await page.goto(`${url}/search?q=${'x'.repeat(600)}`);
    expect(refused?.status()).toBe(200);
    await page.getByTestId('search-problem').waitFor();
  } finally {
    await context.close();
  }
});
