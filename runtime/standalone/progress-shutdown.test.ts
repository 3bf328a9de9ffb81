import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandaloneConfig } from '#shared/config.js';
import { silentLogger } from '#shared/log.js';
import { startStandalone } from './server.js';
import type { Standalone } from './server.js';
import { account, api, token } from './test/durability-support.js';

/**
 * Positions are coalesced in memory (at most one write per viewer and title every 5 s), so the
 * last one reported may still be waiting when the server is told to stop. An orderly stop (what
 * SIGTERM and SIGINT run) writes it before the tables close: after a restart it is there.
 */
describe('saved positions across an orderly stop', () => {
  let dir: string;
  let kinema: Standalone | undefined;
  const start = () =>
    startStandalone(StandaloneConfig.parse({ PORT: '0', HOST: '127.0.0.1', KINEMA_DATA: dir }), silentLogger);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-progress-stop-'));
  });
  afterAll(async () => {
    await kinema?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the position still held in its window when the server stops', async () => {
    kinema = await start();
    const admin = api(kinema.url, await account(dir, kinema.url, 'admin@kinema.test', true));
    const { videoId } = await admin<{ videoId: string }>('POST', '/api/catalog/videos', {
      title: '停止前の位置',
      description: '',
      cast: [],
      genres: [],
      priceJpy: 300,
    });
    const progress = `/api/engagement/videos/${videoId}/progress`;

    // The first report is written at once; the next, 2 s of video later, waits for the window.
    const first = await admin<{ stored: boolean }>('PUT', progress, { positionSeconds: 40, durationSeconds: 600 });
    expect(first.stored).toBe(true);
    const held = admin.raw('PUT', progress, { positionSeconds: 42, durationSeconds: 600 }).catch(() => undefined);
    // Give the request time to reach the writer (it then waits out the window).
    await new Promise((done) => setTimeout(done, 300));
    const stored = await admin<{ progress: { positionSeconds: number } | null }>('GET', progress);
    expect(stored.progress?.positionSeconds).toBe(40);

    await kinema.close();
    kinema = undefined;
    await held;

    kinema = await start();
    const again = api(kinema.url, await token(dir, kinema.url, 'admin@kinema.test'));
    const after = await again<{ progress: { positionSeconds: number } | null }>('GET', progress);
    expect(after.progress?.positionSeconds).toBe(42);
  });
});
