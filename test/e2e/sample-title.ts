import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { adminToken, sampleVideo } from './fixtures-video.js';
import { launchBrowser } from './harness.js';

/** What a file that plays the shared sample needs: a browser and the sample's id. */
export interface SampleTitle {
  readonly browser: Browser;
  readonly videoId: string;
}

/**
 * For the test file that calls it (at its top level): launches a browser and finds or publishes
 * the shared sample title before its tests, and closes the browser after them. Read `browser` and
 * `videoId` inside tests, once the hooks have run. (Not in fixtures-video.ts: the bench imports
 * that file outside Vitest.)
 */
export function withSampleTitle(): SampleTitle {
  const kinema = inject('kinema');
  let browser: Browser | undefined;
  let videoId = '';
  beforeAll(async () => {
    browser = await launchBrowser();
    videoId = await sampleVideo(kinema, await adminToken(kinema));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error('withSampleTitle: the browser is launched in beforeAll; read it inside a test');
      return browser;
    },
    get videoId() {
      if (!videoId) throw new Error('withSampleTitle: the sample is found in beforeAll; read it inside a test');
      return videoId;
    },
  };
}
