import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { adminToken, sampleVideo, SAMPLE } from './fixtures-video.js';
import { signIn, signUp } from './flows.js';
import { fitsViewport, launchBrowser, newPage, newPerson, screenshot, VIEWPORTS } from './harness.js';
import type { Credentials, ViewportName } from './harness.js';

/**
 * The operator's desk and the viewer's receipts (issue 16): the purchase history with a rental and
 * a plan payment and their receipts, the dashboard showing rentals and subscriptions for the same
 * day, an admin granting admin from the web, and the poster picker. Phone and desktop widths.
 */

const kinema = inject('kinema');
const { url, admin } = kinema;
const CARD_PAYS = '4242 4242 4242 4242';
let browser: Browser;
let sampleId = '';
const opened: BrowserContext[] = [];
/** The viewer who rents and subscribes here; the admin then makes them an admin. */
const buyer: Credentials = newPerson('desk-buyer');

beforeAll(async () => {
  browser = await launchBrowser();
  sampleId = await sampleVideo(kinema, await adminToken(kinema));
}, 400_000);

afterAll(async () => {
  for (const context of opened) await context.close().catch(() => undefined);
  await browser?.close();
});

async function open(viewport: ViewportName): Promise<Page> {
  const { context, page } = await newPage(browser, viewport);
  opened.push(context);
  return page;
}

/** Screenshots at both widths (from the top: a scrolled full-page capture paints the sticky header mid-page). */
async function shoot(page: Page, scenario: string) {
  for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
    await page.setViewportSize(VIEWPORTS[viewport]);
    expect(await fitsViewport(page), `${scenario} fits at ${viewport}`).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, scenario, viewport);
  }
}

async function payAtSandbox(page: Page) {
  await page.waitForURL(/\/_sandbox\/checkout\/[0-9a-z]+/);
  await page.locator('#card').fill(CARD_PAYS);
  await page.getByTestId('sandbox-pay').click();
}

/** axe-core's WCAG A/AA rules over the page's main content (the site header is other helpers'). */
async function accessible(page: Page, within = 'main') {
  const result = await new AxeBuilder({ page }).include(within).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(result.violations.map((violation) => `${violation.id}: ${violation.nodes[0]?.target.join(' ')}`)).toEqual([]);
}

/** Today in Japan, the dashboard's zone. */
const japanToday = () => new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
const yen = (text: string | null) => Number((text ?? '').replace(/[^\d]/g, ''));

describe('receipts', () => {
  test('the purchase history lists the rental and the plan payment, each with a receipt', async () => {
    const page = await open('phone');
    await page.goto(`${url}/videos/${sampleId}`);
    await signUp(page, buyer);
    await page.goto(`${url}/videos/${sampleId}`);
    await page.getByTestId('buy-rent').click();
    await payAtSandbox(page);
    await page.getByTestId('checkout-success').waitFor();
    // Payments are dated by Stripe's event time, in whole seconds: two in one second have no order.
    await page.waitForTimeout(1_100);

    await page.goto(`${url}/account`);
    await page.getByTestId('account-subscribe').click();
    await payAtSandbox(page);
    await page.waitForURL((address) => address.pathname === '/account');

    await page.getByTestId('account-purchases-link').click();
    await page.waitForURL(`${url}/account/purchases`);
    await page.getByTestId('purchases-heading').waitFor();
    const rows = page.getByTestId('purchase-row');
    await expect.poll(() => rows.count()).toBe(2);
    const plan = page.locator('[data-testid="purchase-row"][data-line="subscription"]');
    const rental = page.locator('[data-testid="purchase-row"][data-line="rental"]');
    expect(yen(await plan.getByTestId('purchase-amount').textContent())).toBe(990);
    expect(yen(await rental.getByTestId('purchase-amount').textContent())).toBe(SAMPLE.priceJpy);
    expect(await rental.textContent()).toContain(SAMPLE.title);
    expect((await rental.getByTestId('purchase-status').textContent())?.trim()).toBe('支払済み');
    // The plan was bought last: newest first.
    expect(await rows.first().getAttribute('data-line')).toBe('subscription');
    await shoot(page, 'desk-purchases');
    await accessible(page);

    await page.setViewportSize(VIEWPORTS.phone);
    await rental.getByTestId('purchase-receipt-link').click();
    await page.getByTestId('receipt').waitFor();
    expect((await page.getByTestId('receipt-title').textContent())?.trim()).toBe('領収書');
    expect((await page.getByTestId('receipt-no').textContent())?.trim()).toMatch(/^KN-\d{8}-[0-9A-Z]{10}$/);
    expect(yen(await page.getByTestId('receipt-amount').textContent())).toBe(440);
    expect(yen(await page.getByTestId('receipt-tax').textContent())).toBe(40);
    expect(await page.getByTestId('receipt-purpose').textContent()).toContain(`「${SAMPLE.title}」のレンタル代として`);
    expect((await page.getByTestId('receipt-issuer').textContent())?.trim()).toBe('Kinema');
    expect(await page.getByTestId('receipt-registration').textContent()).toContain('未設定');
    await shoot(page, 'desk-receipt');
    await accessible(page);
    // Printed, the receipt stands alone: no site header, no print button.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.site-header').isVisible()).toBe(false);
    expect(await page.getByTestId('receipt-print').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
  });
});

describe('the operator desk', () => {
  test('the dashboard shows rentals and subscriptions for the same day, and exports CSV', async () => {
    const page = await open('desktop');
    await page.goto(`${url}/admin/sales`);
    await page.waitForURL(/\/oidc\//);
    await signIn(page, admin, { fromHeader: false });
    await page.getByTestId('sales-heading').waitFor();
    const today = page.locator(`[data-testid="revenue-row"][data-period="${japanToday()}"]`);
    expect(yen(await today.getByTestId('revenue-rentals').textContent())).toBeGreaterThanOrEqual(440);
    expect(yen(await today.getByTestId('revenue-subscriptions').textContent())).toBeGreaterThanOrEqual(990);
    expect(yen(await page.getByTestId('dashboard-subscriptions').textContent())).toBeGreaterThanOrEqual(990);
    expect(Number(await page.getByTestId('dashboard-active-subscribers').textContent())).toBeGreaterThanOrEqual(1);
    // The chart is a picture of the table, named for assistive technology.
    expect(
      await page.getByRole('img', { name: '期間別の売上グラフ（レンタルと見放題プランの積み上げ）' }).count(),
    ).toBe(1);
    // The two rankings share one panel: bars, then a table with the title and its own figures.
    const topRevenue = page.getByTestId('top-revenue-table');
    expect(await topRevenue.locator('thead th').allTextContents()).toEqual(['作品', '販売数', '売上']);
    expect(await topRevenue.locator(`a[href$="/admin/videos/${sampleId}"]`).count()).toBe(1);
    expect(await page.getByTestId('top-plays').getByRole('heading', { name: '再生数上位の作品' }).count()).toBe(1);
    expect(await page.getByRole('img', { name: '売上上位の作品' }).count()).toBe(1);
    await shoot(page, 'desk-dashboard');
    await accessible(page);
    // The numbers behind the chart, one keyboard press away.
    await page.getByTestId('revenue-table-toggle').locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => today.isVisible()).toBe(true);

    const csv = await page.request.get(
      await page
        .getByTestId('dashboard-csv')
        .getAttribute('href')
        .then((href) => `${url}${href}`),
    );
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const body = await csv.text();
    expect(body.split('\n')[0]).toContain('receiptNo,at,date,kind,line,amountJpy,taxJpy');
    expect(body).toMatch(/KN-\d{8}-[0-9A-Z]{10},[^\n]*,payment,subscription,990,90,paid/);

    // A range longer than a year is refused in words, not with an error page.
    await page.goto(`${url}/admin/sales?from=2020-01-01&to=2030-01-01`);
    await page.getByTestId('dashboard-range-error').waitFor();
  });

  test('an admin grants admin to another account from the web', async () => {
    const page = await open('phone');
    await page.goto(`${url}/admin/users`);
    await page.waitForURL(/\/oidc\//);
    await signIn(page, admin, { fromHeader: false });
    await page.getByTestId('users-heading').waitFor();
    await page.locator('#users-email').fill(buyer.email.slice(0, 14));
    await page.locator('[data-testid="users-search"] button').click();
    const row = page.locator(`[data-testid="user-row"][data-email="${buyer.email}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-admin')).toBe('false');
    await row.getByTestId('user-grant').click();
    await page.getByTestId('users-message').waitFor();
    expect(await page.getByTestId('users-message').textContent()).toContain('管理者にしました');
    await expect.poll(() => row.getAttribute('data-admin')).toBe('true');
    await shoot(page, 'desk-users');
    await accessible(page);

    // The new admin's next sign-in carries the role: the admin area opens for them.
    const theirs = await open('phone');
    await theirs.goto(`${url}/admin`);
    await theirs.waitForURL(/\/oidc\//);
    await signIn(theirs, buyer, { fromHeader: false });
    await theirs.getByTestId('admin-heading').waitFor();
  });

  test('an admin picks a thumbnail as the poster, then goes back to the automatic one', async () => {
    const page = await open('desktop');
    await page.goto(`${url}/admin/videos/${sampleId}`);
    await page.waitForURL(/\/oidc\//);
    await signIn(page, admin, { fromHeader: false });
    const picker = page.getByTestId('poster-picker');
    await picker.waitFor();
    expect(await picker.getByTestId('poster-choice').count()).toBe(5);
    const before = await (await page.request.get(`${url}/media/videos/${sampleId}/poster.jpg`)).body();
    await picker.locator('[data-value="2"]').click();
    await picker.getByTestId('poster-save').click();
    await page.getByTestId('poster-saved').waitFor();
    await expect.poll(() => picker.locator('[data-value="2"] .chip').count()).toBe(1);
    const after = await (await page.request.get(`${url}/media/videos/${sampleId}/poster.jpg?fresh=1`)).body();
    expect(after.equals(before)).toBe(false);
    await shoot(page, 'desk-poster');
    await accessible(page, '[data-testid="poster-picker"]');
    await picker.locator('[data-value="auto"]').click();
    await picker.getByTestId('poster-save').click();
    await expect.poll(() => picker.locator('[data-value="auto"] .chip').count()).toBe(1);
    const restored = await (await page.request.get(`${url}/media/videos/${sampleId}/poster.jpg?fresh=2`)).body();
    expect(restored.equals(before)).toBe(true);
  });
});
