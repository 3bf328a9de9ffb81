import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adminToken, publishTestVideo, testMp4 } from './fixtures-video.js';
import { signIn, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPerson, pageIn, screenshot, startKinema, VIEWPORTS } from './harness.js';
import type { Credentials, Kinema, ViewportName } from './harness.js';

/**
 * Plans, rentals and the sandbox checkout in Chromium (issue 5's "done when"). This file runs its
 * OWN standalone server: it moves the dev clock 48 hours ahead, and on the shared server that jump
 * would expire every session and CLI token the other files hold.
 */

const HOUR = 3600 * 1000;
const RENTAL_MS = 48 * HOUR;
const CARD_PAYS = '4242 4242 4242 4242';
const CARD_DECLINES = '4000 0000 0000 0002';
const run = randomUUID().slice(0, 6);
const RENTED = { title: `レンタル作品 ${run} — 港の灯り`, priceJpy: 440 };
const OTHER = { title: `見放題作品 ${run} — 山の朝`, priceJpy: 300 };

let kinema: Kinema;
let browser: Browser;
let url = '';
let rentedId = '';
let otherId = '';
const opened: BrowserContext[] = [];

/** The rental viewer's browser, kept open from the purchase to after the clock jump. */
let renter: { context: BrowserContext; page: Page; person: Credentials } | undefined;
let rentedExpiresAt = '';
let segmentUrl = '';

beforeAll(async () => {
  [kinema, browser] = await Promise.all([startKinema(), launchBrowser()]);
  url = kinema.url;
  const token = await adminToken(kinema);
  await testMp4(6); // once, before the two uploads share it
  [rentedId, otherId] = await Promise.all([
    publishTestVideo(
      kinema,
      token,
      { ...RENTED, description: 'レンタルのブラウザテスト用の作品です。' },
      { seconds: 6 },
    ),
    publishTestVideo(kinema, token, { ...OTHER, description: '見放題のブラウザテスト用の作品です。' }, { seconds: 6 }),
  ]);
}, 400_000);

afterAll(async () => {
  for (const context of opened) await context.close().catch(() => undefined);
  await browser?.close();
  await kinema?.stop();
});

async function open(
  viewport: ViewportName,
  timezoneId = 'Asia/Tokyo',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORTS[viewport], locale: 'ja-JP', timezoneId });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  opened.push(context);
  return { context, page: await pageIn(context) };
}

/** A full-page capture of a scrolled page paints the sticky header mid-page: capture from the top. */
async function capture(page: Page, scenario: string, viewport: ViewportName) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, scenario, viewport);
}

async function shoot(page: Page, scenario: string, viewports: readonly ViewportName[]) {
  for (const viewport of viewports) {
    await page.setViewportSize(VIEWPORTS[viewport]);
    expect(await fitsViewport(page), `${scenario} at ${viewport}`).toBe(true);
    await capture(page, scenario, viewport);
  }
}

const panel = (page: Page) => page.getByTestId('access-panel');
const reason = (page: Page) => panel(page).getAttribute('data-reason');
const card = (page: Page, videoId: string) => page.locator(`[data-testid="video-card"][data-video-id="${videoId}"]`);

/** From a title's page: Rent or Subscribe, then the sandbox's card form with this card number. */
async function payAtSandbox(page: Page, card: string) {
  await page.waitForURL(/\/_sandbox\/checkout\/[0-9a-z]+/);
  await page.locator('#card').fill(card);
  await page.getByTestId('sandbox-pay').click();
}

/** Back on the site at `path` (the page then drops `?checkout=…` from the address bar). */
async function backAt(page: Page, path: string) {
  await page
    .waitForURL((address) => address.origin === url && address.pathname === path)
    .catch(async (error: unknown) => {
      throw new Error(
        `not back at ${path}: at ${page.url()}: ${(await page.locator('body').innerText()).slice(0, 500)}`,
        { cause: error },
      );
    });
}

async function playsAndAdvances(page: Page) {
  await page.getByTestId('play-button').click();
  const player = page.getByTestId('player');
  await expect.poll(() => player.getAttribute('data-state'), { timeout: 30_000 }).toBe('playing');
  await expect
    .poll(() => page.getByTestId('player-video').evaluate((video: HTMLVideoElement) => video.currentTime), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0.5);
}

/** The Tokyo wall-clock time of an instant as "H:MM" (what the page must show for the expiry). */
function tokyoTime(iso: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'Asia/Tokyo',
  }).format(new Date(iso));
}

describe('plans and rentals', () => {
  test('an anonymous visitor sees Rent and Subscribe with prices; buying asks to sign in first', async () => {
    const { page } = await open('phone');
    await page.goto(url);
    const rentedCard = card(page, rentedId);
    await rentedCard.waitFor();
    expect(await rentedCard.getByTestId('video-card-access').getAttribute('data-action')).toBe('buy');
    expect((await rentedCard.getByTestId('video-card-price').textContent())?.trim()).toMatch(/^[¥￥]440$/);
    expect(await rentedCard.getByTestId('video-card-subscribe').textContent()).toMatch(/[¥￥]990/);
    await shoot(page, 'access-cards-anonymous', ['phone', 'desktop']);

    await page.goto(`${url}/videos/${rentedId}`);
    expect(await reason(page)).toBe('signin_required');
    expect(await page.getByTestId('buy-rent').textContent()).toMatch(/[¥￥]440/);
    expect(await page.getByTestId('buy-plan-price').textContent()).toMatch(/[¥￥]990/);
    expect(await page.getByTestId('player-play').count()).toBe(0);
    await shoot(page, 'access-anonymous', ['phone', 'tablet', 'desktop']);

    await page.getByTestId('buy-rent').click();
    await page.waitForURL(/\/oidc\//);
  });

  test('a declined card grants nothing and says so', async () => {
    const { page } = await open('phone');
    await page.goto(`${url}/videos/${rentedId}`);
    await signUp(page, newPerson('declined'));
    expect(await reason(page)).toBe('not_entitled');
    await page.getByTestId('buy-rent').click();
    await payAtSandbox(page, CARD_DECLINES);
    await backAt(page, `/videos/${rentedId}`);
    const declined = page.getByTestId('checkout-declined');
    await declined.waitFor();
    expect(await declined.textContent()).toContain('カードが拒否されました');
    expect(await reason(page)).toBe('not_entitled');
    expect(await page.getByTestId('buy-rent').count()).toBe(1);
    expect(await page.getByTestId('play-button').count()).toBe(0);
    await shoot(page, 'checkout-declined', ['phone', 'desktop']);

    // Nothing was granted: the API refuses playback, even after the webhook could have arrived.
    await new Promise((done) => setTimeout(done, 1000));
    const refused = await page.request.post(`${url}/videos/${rentedId}/playback`, { headers: { origin: url } });
    expect(refused.status()).toBe(402);
    await page.reload();
    expect(await reason(page)).toBe('not_entitled');

    // The plan, declined from the account page, is not started either.
    await page.goto(`${url}/account`);
    await page.getByTestId('account-subscribe').click();
    await page.waitForURL(/\/_sandbox\/checkout\//);
    await page.getByTestId('sandbox-decline').click();
    await backAt(page, '/account');
    await page.getByTestId('checkout-declined').waitFor();
    expect((await page.getByTestId('account-plan').textContent())?.trim()).toBe('プランはまだありません');
  });

  test('a new viewer rents a title through the sandbox checkout, plays it and sees when the rental ends', async () => {
    const person = newPerson('renter');
    const { context, page } = await open('desktop');
    renter = { context, page, person };
    await page.goto(`${url}/videos/${rentedId}`);
    await signUp(page, person);

    // Rent and Subscribe, with prices, on the page and on the cards.
    expect(await reason(page)).toBe('not_entitled');
    expect(await page.getByTestId('buy-rent').textContent()).toMatch(/[¥￥]440\s*でレンタル/);
    expect(await page.getByTestId('buy-subscribe').isVisible()).toBe(true);
    await shoot(page, 'access-buy', ['phone', 'tablet', 'desktop']);

    await page.getByTestId('buy-rent').click();
    await page.waitForURL(/\/_sandbox\/checkout\//);
    expect(await page.getByTestId('sandbox-amount').textContent()).toMatch(/[¥￥]440/);
    await shoot(page, 'checkout-sandbox', ['phone', 'desktop']);
    const paidFrom = Date.now();
    await payAtSandbox(page, CARD_PAYS);
    await backAt(page, `/videos/${rentedId}`);
    const paidBy = Date.now();

    // The webhook lands a moment later: the page waits for it, then offers Play.
    await page.getByTestId('checkout-success').waitFor();
    await page.getByTestId('play-button').waitFor();
    expect(await reason(page)).toBe('rental');
    const expiry = page.getByTestId('access-expiry');
    rentedExpiresAt = (await expiry.getAttribute('datetime')) ?? '';
    const end = Date.parse(rentedExpiresAt);
    expect(end).toBeGreaterThanOrEqual(paidFrom + RENTAL_MS - 2000);
    expect(end).toBeLessThanOrEqual(paidBy + RENTAL_MS + 2000);
    // The exact end in the viewer's zone (Tokyo here), with the time left in hours.
    expect(await expiry.textContent()).toContain(tokyoTime(rentedExpiresAt));
    expect(await expiry.textContent()).toContain('JST');
    expect(await page.getByTestId('access-time-left').textContent()).toMatch(/^あと 4[78] 時間 \d+ 分$/);
    await shoot(page, 'access-rental', ['phone', 'tablet', 'desktop']);

    // It plays: the video element advances, through the title's cookies.
    const hls: string[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('.m4s') && response.status() < 300) hls.push(response.url());
    });
    await playsAndAdvances(page);
    expect(hls.length).toBeGreaterThan(0);
    segmentUrl = hls[0]!;
    expect((await context.request.get(segmentUrl)).status()).toBe(200);
    await capture(page, 'access-rental-playing', 'desktop');

    // A viewer elsewhere in the world sees the same moment in their own zone.
    const { page: abroad } = await open('phone', 'Europe/London');
    await abroad.context().addCookies(await context.cookies(url));
    await abroad.goto(`${url}/videos/${rentedId}`);
    await expect.poll(() => abroad.getByTestId('access-expiry').textContent()).not.toContain('JST');
    expect(await abroad.getByTestId('access-expiry').getAttribute('datetime')).toBe(rentedExpiresAt);

    // The card says so too, from the same batched access call.
    await page.goto(url);
    const rentedCard = card(page, rentedId);
    expect(await rentedCard.getByTestId('video-card-access').getAttribute('data-reason')).toBe('rental');
    expect(await rentedCard.getByTestId('video-card-time-left').textContent()).toMatch(/^あと 4[78] 時間/);
    expect(await card(page, otherId).getByTestId('video-card-access').getAttribute('data-action')).toBe('buy');
    await shoot(page, 'access-cards-rental', ['phone', 'desktop']);

    // And the account lists the rental with its exact end and time left.
    await page.goto(`${url}/account`);
    const rental = page.locator(`[data-testid="account-rental"][data-video-id="${rentedId}"]`);
    expect(await rental.textContent()).toContain(RENTED.title);
    expect(await rental.getByTestId('account-rental-expiry').getAttribute('datetime')).toBe(rentedExpiresAt);
    expect(await rental.getByTestId('account-rental-left').textContent()).toMatch(/^あと 4[78] 時間/);
    await shoot(page, 'account-plan-rental', ['phone', 'desktop']);
  });

  test('a subscriber plays any title; the account shows the plan, its next billing date and cancels at period end', async () => {
    const { page } = await open('tablet');
    await page.goto(`${url}/videos/${otherId}`);
    await signUp(page, newPerson('subscriber'));
    await page.getByTestId('buy-subscribe').click();
    await page.waitForURL(/\/_sandbox\/checkout\//);
    expect(await page.getByTestId('sandbox-amount').textContent()).toMatch(/[¥￥]990/);
    await payAtSandbox(page, CARD_PAYS);
    await backAt(page, `/videos/${otherId}`);
    await page.getByTestId('checkout-success').waitFor();
    expect(await reason(page)).toBe('subscription');
    await playsAndAdvances(page);

    // Every title: the other one plays as well, and the cards say Play.
    await page.goto(`${url}/videos/${rentedId}`);
    expect(await reason(page)).toBe('subscription');
    await playsAndAdvances(page);
    await capture(page, 'access-subscription', 'tablet');
    await page.goto(url);
    for (const videoId of [rentedId, otherId]) {
      expect(await card(page, videoId).getByTestId('video-card-access').getAttribute('data-action')).toBe('play');
    }

    await page.goto(`${url}/account`);
    expect((await page.getByTestId('account-plan').textContent())?.trim()).toBe('見放題プラン');
    expect(await page.getByTestId('account-plan-status').getAttribute('data-status')).toBe('active');
    const renews = Date.parse((await page.getByTestId('account-next-billing').getAttribute('datetime')) ?? '');
    expect(renews).toBeGreaterThan(Date.now() + 27 * 24 * HOUR);
    expect(renews).toBeLessThan(Date.now() + 32 * 24 * HOUR);
    await shoot(page, 'account-plan', ['phone', 'tablet', 'desktop']);

    // Cancel asks first, then keeps access until the paid period ends.
    await page.setViewportSize(VIEWPORTS.phone);
    await page.getByTestId('account-cancel-open').click();
    await page.getByTestId('account-cancel-confirm').waitFor();
    await capture(page, 'account-plan-cancel-confirm', 'phone');
    await page.getByTestId('account-cancel-confirm').click();
    await page.getByTestId('account-cancelled').waitFor();
    await expect.poll(() => page.getByTestId('account-plan-status').getAttribute('data-status')).toBe('cancelled');
    expect(await page.getByTestId('account-access-until').getAttribute('datetime')).toBe(
      new Date(renews).toISOString(),
    );
    expect(await page.getByTestId('account-next-billing').count()).toBe(0);
    await shoot(page, 'account-plan-cancelled', ['phone', 'desktop']);
    await page.goto(`${url}/videos/${rentedId}`);
    expect(await reason(page)).toBe('subscription');
  });

  test('the admin sees per-title sales and active rentals; the phone header shows the whole nav', async () => {
    const { page } = await open('phone');
    await page.goto(url);
    await signIn(page, kinema.admin);

    // The header's admin link is whole on a 375 px phone (it used to be cut off).
    const nav = page.getByTestId('nav-admin');
    const box = await nav.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x + box!.width).toBeLessThanOrEqual(VIEWPORTS.phone.width);
    expect(await page.locator('.nav ul').evaluate((list) => list.scrollWidth <= list.clientWidth)).toBe(true);
    await capture(page, 'header-admin', 'phone');

    await nav.click();
    await page.getByTestId('admin-sales-link').click();
    await page.waitForURL(`${url}/admin/sales`);
    const row = page.locator(`[data-testid="sales-row"][data-video-id="${rentedId}"]`);
    expect(await row.textContent()).toContain(RENTED.title);
    expect((await row.getByTestId('sales-purchases').textContent())?.trim()).toBe('1');
    expect((await row.getByTestId('sales-revenue').textContent())?.trim()).toMatch(/^[¥￥]440$/);
    expect((await row.getByTestId('sales-active').textContent())?.trim()).toBe('1');
    await shoot(page, 'admin-sales', ['phone', 'tablet', 'desktop']);
  });

  test('48 hours and a second later the title shows Rent again and the media edge refuses its segments', async () => {
    expect(renter, 'the rental test ran first').toBeDefined();
    const { context, person } = renter!;
    const token = await adminToken(kinema);
    const moved = await fetch(`${url}/api/_dev/clock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ advanceMs: RENTAL_MS + 1000 }),
    });
    expect(moved.status).toBe(200);
    const { now } = (await moved.json()) as { now: string };
    expect(Date.parse(now)).toBeGreaterThan(Date.parse(rentedExpiresAt));

    // The cookies the player got are refused at the edge now (they never outlive the rental).
    expect((await context.request.get(segmentUrl)).status()).toBe(403);
    const playback = await context.request.post(`${url}/videos/${rentedId}/playback`, { headers: { origin: url } });
    expect([401, 402]).toContain(playback.status());

    // Two days on, the viewer signs in again (the old session's token is long expired by then).
    const { page } = await open('desktop');
    await page.goto(`${url}/videos/${rentedId}`);
    await signIn(page, person);
    await backAt(page, `/videos/${rentedId}`);
    expect(await reason(page)).toBe('not_entitled');
    expect(await page.getByTestId('buy-rent').textContent()).toMatch(/[¥￥]440/);
    expect(await page.getByTestId('play-button').count()).toBe(0);
    const refused = await page.request.post(`${url}/videos/${rentedId}/playback`, { headers: { origin: url } });
    expect(refused.status()).toBe(402);
    expect(
      ((await refused.json()) as { error: { details: { rentalEndedAt: string } } }).error.details.rentalEndedAt,
    ).toBe(rentedExpiresAt);
    await shoot(page, 'access-expired', ['phone', 'desktop']);

    await page.goto(url);
    expect(await card(page, rentedId).getByTestId('video-card-access').getAttribute('data-action')).toBe('buy');
    await page.goto(`${url}/account`);
    await page.getByTestId('account-rentals-empty').waitFor();
  });
});
