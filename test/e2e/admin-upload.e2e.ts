import { randomUUID } from 'node:crypto';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { paddedMp4 } from './fixtures/video.js';
import { signIn, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, screenshot, VIEWPORTS } from './harness.js';
import type { ViewportName } from './harness.js';

const { url, admin } = inject('kinema');
/** 200 MB: 24 parts of 8 MiB in the catalog's plan. */
const SOURCE_BYTES = 200 * 1000 * 1000;
/** Part PUTs let through before the connection is "killed". */
const PARTS_BEFORE_KILL = 10;

let browser: Browser;
let source: string;

beforeAll(async () => {
  [browser, source] = await Promise.all([launchBrowser(), paddedMp4(SOURCE_BYTES)]);
});

afterAll(async () => {
  await browser?.close();
});

const isPartPut = (request: Request) =>
  request.method() === 'PUT' && new URL(request.url()).pathname.startsWith('/_store/');
const partNumberOf = (request: Request) => Number(new URL(request.url()).searchParams.get('partNumber'));

async function signInAsAdmin(page: Page) {
  await page.goto(`${url}/admin`);
  await page.waitForURL(/\/oidc\//);
  await signIn(page, admin, { fromHeader: false });
  await page.getByTestId('admin-heading').waitFor();
}

/** Creates a video through the form and ends on its page; returns its id. */
async function createVideo(page: Page, title: string): Promise<string> {
  await page.goto(`${url}/admin/videos/new`);
  await page.getByTestId('field-title').fill(title);
  await page.getByTestId('field-description').fill('アップロードのテスト用の作品です。');
  await page.getByTestId('field-cast').fill('山田 太郎, 佐藤 花子\nJane Doe');
  await page.getByTestId('field-genres').fill('ドラマ、テスト');
  await page.getByTestId('field-price').fill('400');
  await page.getByTestId('video-form-submit').click();
  // The video's own page (not /new again, which a refused form would stay on).
  await page.waitForURL(
    (address) => /^\/admin\/videos\/[0-9a-z_-]+$/.test(address.pathname) && !address.pathname.endsWith('/new'),
  );
  await page.getByTestId('upload-widget').waitFor();
  return new URL(page.url()).pathname.split('/').at(-1)!;
}

async function videoStatus(page: Page): Promise<string | null> {
  return page.getByTestId('video-state').getAttribute('data-status');
}

describe('admin upload', () => {
  test('the form shows the API’s message per field and keeps what was typed', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      await signInAsAdmin(page);
      await page.getByTestId('admin-new-video').click();
      await page.waitForURL(`${url}/admin/videos/new`);
      await page.getByTestId('field-title').fill('x'.repeat(10_000));
      await page.getByTestId('field-cast').fill('A, B');
      await page.getByTestId('field-price').fill('1.5');
      await page.getByTestId('video-form-submit').click();
      await page.getByTestId('error-title').waitFor();
      // In the page's language, by the API's code: never the API's English sentence.
      expect((await page.getByTestId('error-title').textContent())?.trim()).toBe('200 文字以内で入力してください');
      expect((await page.getByTestId('error-priceJpy').textContent())?.trim()).toBe('整数で入力してください');
      expect(await page.getByTestId('field-cast').inputValue()).toBe('A, B');
      expect(page.url()).toBe(`${url}/admin/videos/new`);
      await screenshot(page, 'admin-form-errors', 'desktop');
    } finally {
      await context.close();
    }
  });

  test('what the admin types while the page is still loading its scripts is kept and sent', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      await signInAsAdmin(page);
      // A plain page (its goto ends at DOMContentLoaded), whose page modules arrive 2 s late, as on
      // a slow phone: the admin types before the page hydrates, which sets fields back to the
      // server's empty values.
      const slow = await context.newPage();
      await slow.route('**/_app/immutable/nodes/**', async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        await route.continue();
      });
      await slow.goto(`${url}/admin/videos/new`, { waitUntil: 'domcontentloaded' });
      const title = `Early ${randomUUID().slice(0, 6)}`;
      await slow.getByTestId('field-title').fill(title);
      await slow.getByTestId('field-cast').fill('山田 太郎');
      expect(await slow.evaluate(() => document.documentElement.dataset['hydrated'])).toBeUndefined();

      await slow.waitForFunction(() => document.documentElement.dataset['hydrated'] === 'true');
      expect(await slow.getByTestId('field-title').inputValue()).toBe(title);
      expect(await slow.getByTestId('field-cast').inputValue()).toBe('山田 太郎');
      // The page's own state heard it too: the form sends the typed title.
      await slow.getByTestId('field-price').fill('300');
      await slow.getByTestId('video-form-submit').click();
      await slow.waitForURL(
        (address) => /^\/admin\/videos\/[0-9a-z_-]+$/.test(address.pathname) && !address.pathname.endsWith('/new'),
      );
      const videoId = new URL(slow.url()).pathname.split('/').at(-1)!;
      const record = await slow.request.get(`${url}/admin/api/catalog/videos/${videoId}`);
      expect(((await record.json()) as { title: string; cast: string[] }).title).toBe(title);
    } finally {
      await context.close();
    }
  });

  test('a 200 MB MP4 survives a killed connection and a reload: only the missing parts are sent again', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    try {
      await signInAsAdmin(page);
      const title = `Upload ${randomUUID().slice(0, 6)}`;
      const videoId = await createVideo(page, title);

      // Every part PUT the page makes, and the ones the store answered 200 (with an ETag).
      const sent: number[] = [];
      const stored = new Set<number>();
      page.on('request', (request) => {
        if (isPartPut(request)) sent.push(partNumberOf(request));
      });
      page.on('response', (response) => {
        if (isPartPut(response.request()) && response.status() === 200 && response.headers()['etag']) {
          stored.add(partNumberOf(response.request()));
        }
      });

      // Let the first parts through, then "kill the connection": once PARTS_BEFORE_KILL parts are
      // stored, the browser goes offline (parts in flight may land or fail; the store knows which).
      let killed: Promise<void> | undefined;
      const kill = () => context.setOffline(true);
      page.on('response', (response) => {
        if (!killed && isPartPut(response.request()) && stored.size >= PARTS_BEFORE_KILL) killed = kill();
      });
      await page.getByTestId('upload-input').setInputFiles(source);
      await page.getByTestId('upload-progress').waitFor();
      // The widget retries with back-off, then stops and says the connection dropped.
      await page.locator('[data-testid="upload-error"][data-problem="connection"]').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('upload-resume').isVisible()).toBe(true);
      const partsLine = (await page.getByTestId('upload-parts').textContent())?.trim() ?? '';
      expect(partsLine).toMatch(/^\d+ \/ 24$/);
      await screenshot(page, 'admin-upload-interrupted', 'desktop');
      await killed;
      expect(stored.size).toBeGreaterThanOrEqual(PARTS_BEFORE_KILL);
      expect(stored.size).toBeLessThan(24);
      expect(await videoStatus(page)).toBe('uploading');
      // The catalog agrees (read through the admin proxy, with the session cookie only).
      const record = await page.request.get(`${url}/admin/api/catalog/videos/${videoId}`);
      expect(((await record.json()) as { status: string }).status).toBe('uploading');

      // The connection is back; the admin reloads the page (a closed tab would be the same).
      await context.setOffline(false);
      await page.reload();
      await page.getByTestId('upload-interrupted').waitFor();
      expect(await page.getByTestId('upload-interrupted').textContent()).toContain('kinema-e2e-padded');
      await screenshot(page, 'admin-upload-resume', 'desktop');

      const before = new Set(stored);
      sent.length = 0;
      const listing = page.waitForResponse(
        (response) =>
          response.request().method() === 'GET' &&
          new URL(response.url()).pathname === `/admin/api/catalog/videos/${videoId}/upload`,
      );
      await page.getByTestId('upload-input').setInputFiles(source);
      const resume = (await (await listing).json()) as {
        partCount: number;
        parts: { partNumber: number }[];
        missing: { partNumber: number }[];
      };
      await page.locator('[data-testid="upload-phase"][data-phase="processing"]').waitFor({ timeout: 60_000 });
      // The store held every part whose 200 the page saw (and maybe one that landed as the line
      // dropped); only the parts it lacked went out again, each exactly once.
      const held = resume.parts.map((part) => part.partNumber);
      const missing = resume.missing.map((part) => part.partNumber).sort((a, b) => a - b);
      expect(resume.partCount).toBe(24);
      for (const n of before) expect(held).toContain(n);
      expect([...held, ...missing].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      expect(missing.length).toBeGreaterThan(0);
      expect([...sent].sort((a, b) => a - b)).toEqual(missing);
      expect(sent.some((n) => held.includes(n))).toBe(false);

      // Completed: the catalog says processing (or already ready) and the live progress shows.
      await page.locator('[data-testid="video-state"]:not([data-status="uploading"])').waitFor();
      expect(['processing', 'ready']).toContain(await videoStatus(page));
      await page.getByTestId('media-progress').waitFor();
      await screenshot(page, 'admin-upload-processing', 'desktop');

      // With the media pipeline wired, it becomes ready; the player tests cover playback.
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && (await videoStatus(page)) !== 'ready') {
        if ((await videoStatus(page)) === 'failed') break;
        await page.waitForTimeout(1000);
      }
      const status = await videoStatus(page);
      expect(status).not.toBe('failed');
      if (status === 'ready') {
        expect(await page.getByTestId('media-progress').getAttribute('data-state')).toBe('ready');
        await page.getByTestId('video-publish').click();
        await page.locator('[data-testid="video-state"][data-published="true"]').waitFor();
        await screenshot(page, 'admin-upload-ready', 'desktop');
      } else {
        console.warn(`admin-upload: the video was still ${status} after 90 s; not checking ready`);
      }

      // The list shows it, responsive at every width.
      await page.goto(`${url}/admin`);
      const row = page.locator(`[data-testid="admin-video-row"][data-video-id="${videoId}"]`);
      await row.waitFor();
      for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
        await page.setViewportSize(VIEWPORTS[viewport]);
        expect(await fitsViewport(page)).toBe(true);
        await screenshot(page, 'admin-list', viewport);
      }
    } finally {
      await context.close();
    }
  });

  test('a text file renamed .mp4 is refused with a clear message, before any part is sent', async () => {
    const { context, page } = await newPage(browser, 'phone');
    try {
      await signInAsAdmin(page);
      await createVideo(page, `Renamed ${randomUUID().slice(0, 6)}`);
      let puts = 0;
      page.on('request', (request) => {
        if (isPartPut(request)) puts++;
      });
      await page.getByTestId('upload-input').setInputFiles({
        name: 'notes.mp4',
        mimeType: 'video/mp4',
        buffer: Buffer.from('These are meeting notes, not a film.\n'.repeat(100)),
      });
      const problem = page.locator('[data-testid="upload-error"][data-problem="not_video"]');
      await problem.waitFor();
      expect(await problem.textContent()).toContain('MP4');
      expect(puts).toBe(0);
      expect(await videoStatus(page)).toBe('draft');
      expect(await fitsViewport(page)).toBe(true);
      await screenshot(page, 'admin-upload-rejected', 'phone');
    } finally {
      await context.close();
    }
  });

  test('a viewer does not see an unpublished video on the home page', async () => {
    const adminSide = await newPage(browser, 'desktop');
    const title = `Secret ${randomUUID().slice(0, 6)}`;
    try {
      await signInAsAdmin(adminSide.page);
      await createVideo(adminSide.page, title);
    } finally {
      await adminSide.context.close();
    }
    const { context, page } = await newPage(browser, 'tablet');
    try {
      await page.goto(url);
      await signUp(page, newPerson());
      await page.goto(url);
      await page.waitForLoadState('networkidle');
      expect(await page.getByText(title).count()).toBe(0);
      expect(await page.content()).not.toContain(title);
      // Nor through the API.
      const response = await page.request.get(`${url}/api/catalog/videos?limit=100`);
      const body = (await response.json()) as { items: { title: string }[] };
      expect(body.items.map((item) => item.title)).not.toContain(title);
    } finally {
      await context.close();
    }
  });
});
