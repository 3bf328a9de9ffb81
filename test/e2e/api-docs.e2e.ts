import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { launchBrowser, newPage, screenshot } from './harness.js';

const { url } = inject('kinema');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('the API reference', () => {
  test('renders every service from this server alone, within its content security policy', async () => {
    const { context, page } = await newPage(browser, 'desktop');
    const elsewhere: string[] = [];
    const refused: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(url) && !/^(data|blob):/.test(request.url())) elsewhere.push(request.url());
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
    try {
      const response = await page.goto(`${url}/api/docs`);
      expect(response?.status()).toBe(200);
      await page.getByText('Kinema API', { exact: false }).first().waitFor({ timeout: 30_000 });
      for (const service of ['catalog', 'entitlement', 'media']) {
        await expect(page.getByText(service, { exact: true }).first().isVisible()).resolves.toBe(true);
      }
      await page.getByText('Create a draft video (admin)').first().waitFor();
      await screenshot(page, 'api-docs', 'desktop');
      expect(elsewhere).toEqual([]);
      expect(refused).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
