import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { SAMPLE } from './fixtures-video.js';
import { newPerson, pageIn, repoRoot, screenshot } from './harness.js';
import { withSampleTitle } from './sample-title.js';

/**
 * The keyboard-only journey (issue 18): sign in → find a title with the search combobox → rent it
 * through the sandbox checkout → play → change quality (and subtitles when the title has them) →
 * like. Only `page.keyboard` touches the page; every pointer event is counted and must be zero.
 * Controls are found by role and visible name (ログイン, 再生, 画質, 字幕, いいね) so the journey
 * holds for any player that names its controls the way the site does.
 */

const exec = promisify(execFile);
const kinema = inject('kinema');
const { url } = kinema;
const sample = withSampleTitle();

/** Whether `target` has the keyboard focus. */
const focused = (target: Locator) =>
  target.evaluate((element) => element === document.activeElement || element.contains(document.activeElement));

/**
 * Presses Tab (or Shift+Tab) until `target` has focus, as a keyboard user would; fails if it is
 * not reachable within `max` presses (not focusable, hidden, or trapped behind something).
 */
async function tabTo(page: Page, target: Locator, options: { back?: boolean; max?: number } = {}): Promise<void> {
  await target.waitFor();
  const key = options.back ? 'Shift+Tab' : 'Tab';
  for (let presses = 0; presses < (options.max ?? 80); presses++) {
    if (await focused(target)) return;
    await page.keyboard.press(key);
  }
  if (await focused(target)) return;
  const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200) ?? 'nothing');
  throw new Error(`${target.toString()} was not reached with ${key}; focus is on ${at}`);
}

/** The element that really has focus, inside shadow roots too (media-chrome's menus live there). */
function deepFocus(page: Page): Promise<{ role: string | null; text: string; checked: boolean }> {
  return page.evaluate(() => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return {
      role: active?.getAttribute('role') ?? null,
      text: active?.textContent?.trim() ?? '',
      checked: active?.getAttribute('aria-checked') === 'true',
    };
  });
}

/** In an open menu, presses ↓ until the focused item passes `wanted` (at most once round). */
async function arrowToItem(page: Page, wanted: (text: string, checked: boolean) => boolean): Promise<string> {
  for (let presses = 0; presses < 20; presses++) {
    const item = await deepFocus(page);
    if (item.role === 'menuitemradio' && wanted(item.text, item.checked)) return item.text;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`no menu item matched; focus is on ${JSON.stringify(await deepFocus(page))}`);
}

describe('keyboard only', () => {
  test('sign in, search, rent, play, change quality, like: no pointer at all', async () => {
    const person = newPerson('keys');
    if (!kinema.dataDir) throw new Error('this journey makes its viewer with the kinema CLI');
    await exec(
      process.execPath,
      ['runtime/standalone/bin/kinema.js', 'users', 'add', '--email', person.email, '--password', person.password],
      { cwd: repoRoot, env: { ...process.env, KINEMA_DATA: kinema.dataDir, KINEMA_PUBLIC_URL: url } },
    );

    const context = await sample.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    context.setDefaultTimeout(20_000);
    // Every pointer or mouse event on any page of the journey is counted (sessionStorage survives
    // the trips through the issuer and the checkout on this origin).
    await context.addInitScript(() => {
      for (const type of ['pointerdown', 'mousedown', 'click']) {
        addEventListener(
          type,
          (event) => {
            // Enter or Space on a button or link fires a click with detail 0: that is the keyboard.
            if (type === 'click' && (event as MouseEvent).detail === 0) return;
            sessionStorage.setItem('pointerEvents', String(Number(sessionStorage.getItem('pointerEvents') ?? 0) + 1));
          },
          true,
        );
      }
    });
    const page = await pageIn(context);
    const pointerEvents = () => page.evaluate(() => Number(sessionStorage.getItem('pointerEvents') ?? 0));
    try {
      // Sign in from the header.
      await page.goto(url);
      await tabTo(page, page.getByRole('link', { name: 'ログイン', exact: true }));
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/oidc\//);
      await tabTo(page, page.locator('input[name="email"]'));
      await page.keyboard.type(person.email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(person.password);
      await page.keyboard.press('Enter');
      await page.getByTestId('signout-button').waitFor();
      expect(await pointerEvents()).toBe(0);

      // Find the title with the search combobox: type, ↓ to the suggestion, Enter.
      const search = page.getByRole('combobox');
      await tabTo(page, search);
      await page.keyboard.type('夜明けの駅', { delay: 30 });
      const suggestion = page.getByRole('option', { name: new RegExp(SAMPLE.title.slice(-5)) }).first();
      await suggestion.waitFor();
      await page.keyboard.press('ArrowDown');
      expect(await search.getAttribute('aria-activedescendant')).toBe(await suggestion.getAttribute('id'));
      await page.keyboard.press('Enter');
      await page.waitForURL(`${url}/videos/${sample.videoId}`);
      // A client-side navigation: focus is on the new page's heading, read first.
      await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe(SAMPLE.title);

      // Rent through the sandbox checkout.
      await tabTo(page, page.getByRole('button', { name: /レンタル/ }));
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/_sandbox\/checkout\//);
      await screenshot(page, 'keyboard-checkout', 'desktop');
      await tabTo(page, page.getByRole('button', { name: /支払/ }));
      await page.keyboard.press('Enter');
      await page.waitForURL((address) => address.pathname === `/videos/${sample.videoId}`);
      await expect
        .poll(() => page.getByTestId('access-panel').getAttribute('data-reason'), { timeout: 20_000 })
        .toBe('rental');

      // Play: the first control named 再生 (the big button over the poster or the panel's).
      await tabTo(page, page.getByRole('button', { name: /再生/ }).first());
      await page.keyboard.press('Enter');
      const video = page.locator('video').first();
      await expect
        .poll(() => video.evaluate((element: HTMLVideoElement) => !element.paused && element.currentTime > 0.3), {
          timeout: 30_000,
        })
        .toBe(true);
      // The state is said to screen readers as it changes.
      const live = page.locator('[role="status"], [aria-live="polite"], [aria-live="assertive"]');
      await expect.poll(() => live.filter({ hasText: '再生中' }).count()).toBeGreaterThan(0);

      // Quality: open the 画質 menu; focus goes into it; ↓/↑ to a fixed rung (not 自動); Enter.
      const player = page.getByTestId('player');
      const quality = page.getByRole('button', { name: /画質/ });
      await tabTo(page, quality, { back: true });
      expect(await player.getAttribute('data-selected-level')).toBe('-1');
      await page.keyboard.press('Enter');
      await expect.poll(async () => (await deepFocus(page)).role, { timeout: 5_000 }).toBe('menuitemradio');
      const chosen = await arrowToItem(page, (text) => /\d+p/.test(text) && !/自動/.test(text));
      await page.keyboard.press('Enter');
      await expect.poll(() => player.getAttribute('data-selected-level')).not.toBe('-1');
      expect(chosen).toMatch(/\d+p/);

      // Subtitles, when the title has a track (and so the player a working 字幕 control).
      const subtitles = page.getByRole('button', { name: /字幕/ });
      const hasSubtitles = await page
        .locator('video')
        .first()
        .evaluate((video: HTMLVideoElement) =>
          [...video.textTracks].some((track) => track.kind === 'subtitles' || track.kind === 'captions'),
        );
      if (hasSubtitles) {
        await tabTo(page, subtitles.first(), { back: true });
        await page.keyboard.press('Enter');
        await expect.poll(async () => (await deepFocus(page)).role, { timeout: 5_000 }).toBe('menuitemradio');
        await arrowToItem(page, (text, checked) => !checked && !/オフ|off/i.test(text));
        await page.keyboard.press('Enter');
        await expect
          .poll(() =>
            page
              .locator('video')
              .first()
              .evaluate((video: HTMLVideoElement) => [...video.textTracks].some((track) => track.mode === 'showing')),
          )
          .toBe(true);
      }

      // Like, with Space.
      const like = page.getByRole('button', { name: /いいね/ });
      await tabTo(page, like);
      expect(await like.getAttribute('aria-pressed')).toBe('false');
      await page.keyboard.press('Space');
      await expect.poll(() => like.getAttribute('aria-pressed')).toBe('true');
      await screenshot(page, 'keyboard-done', 'desktop');

      expect(await pointerEvents()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
