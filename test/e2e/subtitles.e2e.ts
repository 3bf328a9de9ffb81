import Encoding from 'encoding-japanese';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { adminToken, publishTestVideo } from './fixtures-video.js';
import { signIn, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, screenshot, screenshotDir } from './harness.js';
import type { ViewportName } from './harness.js';

/**
 * Subtitles end to end: an admin adds a Japanese SRT on the video's admin page (UTF-8 on the
 * desktop, Shift_JIS on the phone), bad files are refused line by line with nothing published,
 * then a viewer plays the title and the Japanese cue is on screen, rendered by the browser from
 * the HLS subtitle rendition hls.js loaded.
 */
const kinema = inject('kinema');
const { url, admin } = kinema;
let browser: Browser;
let videoId = '';
let token = '';

const SRT = `1
00:00:00,500 --> 00:00:02,500
夜明けの駅で、二人は出会った。

2
00:00:02,500 --> 00:00:05,500
始発まで、あと三時間。
`;
const sjis = (text: string) =>
  Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'SJIS', from: 'UNICODE' }));

const hlsRoot = () => join(kinema.dataDir ?? '', 'objects', 'objects', 'media', 'videos', videoId, 'hls');
const master = () => readFileSync(join(hlsRoot(), 'master.m3u8'), 'utf8');

beforeAll(async () => {
  browser = await launchBrowser();
  token = await adminToken(kinema);
  videoId = await publishTestVideo(
    kinema,
    token,
    { title: 'E2E 字幕 — 始発までの三時間', freePreview: true, genres: ['ドラマ'] },
    { seconds: 6 },
  );
}, 300_000);

afterAll(async () => {
  await browser?.close();
  // Leave no free title behind for the other files of the suite.
  if (videoId) {
    await fetch(`${url}/api/catalog/videos/${videoId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
  }
});

async function adminVideoPage(viewport: ViewportName) {
  const opened = await newPage(browser, viewport);
  await opened.page.goto(url);
  await signIn(opened.page, admin);
  await opened.page.goto(`${url}/admin/videos/${videoId}`);
  await opened.page.getByTestId('subtitles').waitFor();
  return opened;
}

/** Chooses the language and the file on the admin page's subtitle form and sends it. */
async function sendSubtitles(page: Page, language: string, name: string, body: Buffer) {
  await page.getByTestId('subtitles-language').selectOption(language);
  await page.getByTestId('subtitles-file').setInputFiles({ name, mimeType: 'application/x-subrip', buffer: body });
  await page.getByTestId('subtitles-upload').click();
}

/** The languages of the text tracks the page's video is showing. */
const showing = (page: Page) =>
  page
    .locator('video')
    .first()
    .evaluate((element: HTMLVideoElement) =>
      [...element.textTracks].filter((track) => track.mode === 'showing').map((track) => track.language),
    );

/** A full-page capture of a scrolled page paints the sticky header mid-page: capture from the top. */
const atTop = (page: Page) => page.evaluate(() => window.scrollTo(0, 0));

const issues = (page: Page) =>
  page
    .getByTestId('subtitles-issue')
    .evaluateAll((items) =>
      items.map((item) => [item.getAttribute('data-code'), item.getAttribute('data-line'), item.textContent?.trim()]),
    );

describe('subtitles', () => {
  test('desktop: the admin publishes a Japanese SRT; bad files are refused by line and publish nothing', async () => {
    const { context, page } = await adminVideoPage('desktop');
    try {
      await expect.poll(() => page.getByTestId('subtitles-none').isVisible()).toBe(true);
      await sendSubtitles(page, 'ja', 'ja.srt', Buffer.from(SRT));
      await expect
        .poll(() => page.getByTestId('subtitles-done').textContent())
        .toContain('日本語の字幕を公開しました（2 キュー）');
      expect(await page.getByTestId('subtitles-item').getAttribute('data-language')).toBe('ja');
      expect(master()).toMatch(
        /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="日本語",LANGUAGE="ja",DEFAULT=NO,AUTOSELECT=YES/,
      );
      const published = master();

      // Broken timestamps and overlapping cues: every problem, by line, in Japanese; nothing changes.
      const broken =
        '1\n00:00:01,000 --> 00:00:0x,000\nあ\n\n2\n00:00:02,000 --> 00:00:04,000\nい\n\n3\n00:00:03,000 --> 00:00:05,000\nう\n';
      await sendSubtitles(page, 'ja', 'broken.srt', Buffer.from(broken));
      await page.getByTestId('subtitles-errors').waitFor();
      expect(await issues(page)).toEqual([
        ['bad_timestamp', '2', expect.stringContaining('2 行目')],
        ['overlap', '10', expect.stringContaining('6 行目のキューが終わる前に始まっています')],
      ]);
      expect(await page.getByTestId('subtitles-file').getAttribute('aria-invalid')).toBe('true');
      await atTop(page);
      await screenshot(page, 'subtitles-refused', 'desktop');

      // Not text.
      await sendSubtitles(
        page,
        'ja',
        'poster.srt',
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      );
      await expect.poll(() => issues(page)).toEqual([['not_text', null, 'テキストファイルではありません。']]);

      // 50 MB: the page stops it before sending.
      const huge = join(tmpdir(), `kinema-e2e-subtitles-50mb.srt`);
      writeFileSync(huge, Buffer.alloc(50 * 1024 * 1024, 0x41));
      await page.getByTestId('subtitles-file').setInputFiles(huge);
      await page.getByTestId('subtitles-upload').click();
      await expect.poll(() => issues(page)).toEqual([['too_large', null, 'ファイルが大きすぎます（2 MB まで）。']]);
      expect(master()).toBe(published);
      expect(await page.getByTestId('subtitles-item').count()).toBe(1);
      expect(await fitsViewport(page)).toBe(true);
      await atTop(page);
      await screenshot(page, 'subtitles-admin', 'desktop');
    } finally {
      await context.close();
    }
  });

  test('the API refuses 50 MB from its length, binary, broken and overlapping files with 4xx and per-line errors', async () => {
    const before = master();
    const put = (body: Buffer) =>
      fetch(`${url}/api/media/videos/${videoId}/subtitles/ja`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-subrip' },
        body: new Uint8Array(body),
      });
    const started = Date.now();
    const huge = await put(Buffer.alloc(50 * 1024 * 1024, 0x41));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const hugeMs = Date.now() - started;

    const binary = await put(Buffer.from([0, 1, 2, 3, 0xff, 0xfe]));
    expect(binary.status).toBe(415);
    const overlap = await put(
      Buffer.from('1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:02,000 --> 00:00:04,000\nb\n'),
    );
    expect(overlap.status).toBe(400);
    expect(await overlap.json()).toMatchObject({
      error: { code: 'invalid_input', details: { issues: [{ code: 'overlap', line: 6, otherLine: 2 }], total: 1 } },
    });
    const endBeforeStart = await put(Buffer.from('1\n00:00:05,000 --> 00:00:03,000\na\n'));
    expect(await endBeforeStart.json()).toMatchObject({
      error: { details: { issues: [{ code: 'end_before_start', line: 2 }] } },
    });
    expect(master()).toBe(before);
    console.info(`subtitles: a 50 MB PUT was refused in ${hugeMs} ms`);
  });

  test('phone: a Shift_JIS SRT replaces the Japanese subtitles, and a viewer sees them on screen', async () => {
    const opened = await adminVideoPage('phone');
    try {
      await sendSubtitles(opened.page, 'ja', 'ja-sjis.srt', sjis(SRT));
      await expect
        .poll(() => opened.page.getByTestId('subtitles-done').textContent())
        .toContain('日本語の字幕を差し替えました（2 キュー）');
      expect(await opened.page.getByTestId('subtitles-item').textContent()).toContain('SRT');
      expect(await fitsViewport(opened.page)).toBe(true);
      await atTop(opened.page);
      await screenshot(opened.page, 'subtitles-admin', 'phone');
    } finally {
      await opened.context.close();
    }
    const revision = /URI="sub_ja_([0-9a-f]+)\/index\.m3u8"/.exec(master())?.[1];
    expect(revision).toBeDefined();

    for (const viewport of ['phone', 'desktop'] as const) {
      const { context, page } = await newPage(browser, viewport);
      try {
        await page.goto(url);
        await signUp(page, newPerson(`subs-${viewport}`));
        await page.goto(`${url}/videos/${videoId}`);
        await page.getByTestId('play-button').click();
        const video = page.locator('video').first();
        await expect
          .poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime), { timeout: 20_000 })
          .toBeGreaterThan(0);

        // hls.js lists the rendition as a text track (NAME and LANGUAGE from the master).
        await expect
          .poll(() =>
            video.evaluate((element: HTMLVideoElement) =>
              [...element.textTracks].map((track) => `${track.kind}:${track.language}:${track.label}`),
            ),
          )
          .toContain('subtitles:ja:日本語');
        // The viewer turns them on in the player's captions menu; the choice is remembered.
        await page.getByTestId('captions-button').click();
        await page.getByTestId('captions-menu').locator('[role="menuitemradio"]', { hasText: '日本語' }).click();
        await expect.poll(() => showing(page)).toEqual(['ja']);
        expect(await page.evaluate(() => localStorage.getItem('kinema.subtitles'))).toBe('ja');
        // Replay from the cue's time: the Shift_JIS text arrived as UTF-8 cues at the SRT's times.
        await video.evaluate(async (element: HTMLVideoElement) => {
          element.pause();
          element.currentTime = 3;
          await new Promise((resolve) => element.addEventListener('seeked', resolve, { once: true }));
        });
        await expect
          .poll(
            () =>
              video.evaluate((element: HTMLVideoElement) => {
                const track = [...element.textTracks].find((candidate) => candidate.language === 'ja');
                return [...(track?.cues ?? [])].map((cue) => {
                  const { startTime, endTime, text } = cue as VTTCue;
                  return `${startTime.toFixed(1)}-${endTime.toFixed(1)} ${text}`;
                });
              }),
            { timeout: 20_000 },
          )
          .toEqual(
            expect.arrayContaining(['0.5-2.5 夜明けの駅で、二人は出会った。', '2.5-5.5 始発まで、あと三時間。']),
          );
        const active = await video.evaluate((element: HTMLVideoElement) => {
          const track = [...element.textTracks].find((candidate) => candidate.language === 'ja');
          return [...(track?.activeCues ?? [])].map((cue) => (cue as VTTCue).text);
        });
        expect(active).toEqual(['始発まで、あと三時間。']);
        await video.scrollIntoViewIfNeeded();
        await page.waitForTimeout(300); // one paint of the cue box
        await screenshot(page, 'subtitles-playing', viewport);
        await video.screenshot({ path: join(screenshotDir, `subtitles-video-${viewport}.png`) });

        // Another visit: the remembered choice shows the Japanese subtitles without the menu.
        await page.reload();
        await page.getByTestId('play-button').click();
        await expect.poll(() => showing(page), { timeout: 20_000 }).toEqual(['ja']);
      } finally {
        await context.close();
      }
    }
  });
});
