import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ffmpegBinaries } from '#platform/local/ffmpeg/binaries.js';
import { ladderArgs, storyboardArgs } from '#platform/local/ffmpeg/transcoder.js';
import { AUDIO_BITRATE, KEYFRAME_SECONDS, SEGMENT_SECONDS, ladderFor } from '#services/media/src/domain/ladder.js';
import { SHEET_PATTERN, storyboardPlan } from '#services/media/src/domain/storyboard.js';
import {
  adminToken,
  createVideo,
  SAMPLE,
  SAMPLE_SECONDS,
  testMp4,
  uploadSource,
  waitUntilReady,
} from '#test/e2e/fixtures-video.js';
import { signIn } from '#test/e2e/flows.js';
import { launchBrowser, repoRoot, startKinema } from '#test/e2e/harness.js';
import type { Benchmark, Row } from '../lib.js';

const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_PLAYBACK_RUNS ?? 5);
const STORYBOARD_SOURCE_SECONDS = Number(process.env.BENCH_STORYBOARD_SECONDS ?? 20);

/** The bare page: a `<video>`, hls.js from node_modules, the same playback grant, nothing else. */
function barePage(videoId: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>bare</title>
<script src="/__bench/hls.min.js"></script></head><body>
<button id="play">Play</button><video id="v" playsinline style="width:640px;height:360px"></video>
<script>
document.getElementById('play').addEventListener('click', async () => {
  const grant = await fetch('/videos/${videoId}/playback', { method: 'POST', credentials: 'same-origin' }).then((r) => r.json());
  const video = document.getElementById('v');
  const hls = new Hls({ xhrSetup: (xhr) => { xhr.withCredentials = true; } });
  hls.loadSource(grant.manifestUrl);
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play());
});
</script></body></html>`;
}

/**
 * Clicks Play and resolves with the ms from the click to the first frame the compositor shows
 * (`requestVideoFrameCallback` on the real <video>: inside `<hls-video>`'s shadow root for Kinema).
 */
/**
 * In the page (as source text: tsx would wrap a passed function's inner names in a helper the page
 * lacks): note the click's time, then resolve with the time of the first frame presented.
 */
const WATCH_FIRST_FRAME = `(selector) => {
  const button = document.querySelector(selector);
  button.addEventListener('click', (event) => { window.__clickAt = event.timeStamp; }, { capture: true, once: true });
  window.__frameAt = new Promise((resolve) => {
    const watch = () => {
      const host = document.querySelector('[data-testid="player-video"], #v');
      const video = host && (host.nativeEl || host);
      if (video && 'requestVideoFrameCallback' in video) {
        video.requestVideoFrameCallback((now) => resolve(now));
        return;
      }
      requestAnimationFrame(watch);
    };
    watch();
  });
}`;
const FIRST_FRAME_AFTER_CLICK = `async () => {
  const frameAt = await Promise.race([
    window.__frameAt,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no frame within 30 s')), 30000)),
  ]);
  return frameAt - window.__clickAt;
}`;

/**
 * Clicks Play and resolves with the ms from the click to the first frame the compositor shows
 * (`requestVideoFrameCallback` on the real <video>: inside `<hls-video>`'s shadow root for Kinema).
 */
async function playToFirstFrame(page: Page, playSelector: string): Promise<number> {
  await page.evaluate(`(${WATCH_FIRST_FRAME})(${JSON.stringify(playSelector)})`);
  await page.click(playSelector);
  return (await page.evaluate(`(${FIRST_FRAME_AFTER_CLICK})()`)) as number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function serveBare(context: BrowserContext, url: string, videoId: string) {
  const hlsJs = readFileSync(join(repoRoot, 'node_modules', 'hls.js', 'dist', 'hls.min.js'));
  await context.route(`${url}/__bench/bare.html`, (route) =>
    route.fulfill({ contentType: 'text/html', body: barePage(videoId) }),
  );
  await context.route(`${url}/__bench/hls.min.js`, (route) =>
    route.fulfill({ contentType: 'text/javascript', body: hlsJs, headers: { 'cache-control': 'max-age=3600' } }),
  );
}

/** Cold: a fresh context (empty cache, the session only); warm: the same page again in it. */
async function measurePages(browser: Browser, url: string, videoId: string, session: string) {
  const pages = {
    kinema: { path: `/videos/${videoId}`, play: '[data-testid="play-button"]' },
    bare: { path: '/__bench/bare.html', play: '#play' },
  } as const;
  const times = {
    kinema: { cold: [] as number[], warm: [] as number[] },
    bare: { cold: [] as number[], warm: [] as number[] },
  };
  for (let run = 0; run < RUNS; run++) {
    // Alternate which goes first, so neither always meets a busier machine.
    const order = run % 2 ? (['bare', 'kinema'] as const) : (['kinema', 'bare'] as const);
    for (const which of order) {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        locale: 'ja-JP',
        storageState: JSON.parse(session) as never,
      });
      try {
        await serveBare(context, url, videoId);
        const page = await context.newPage();
        for (const temperature of ['cold', 'warm'] as const) {
          // A viewer presses Play once the page has settled, not at the load event.
          await page.goto(url + pages[which].path, { waitUntil: 'networkidle' });
          times[which][temperature].push(await playToFirstFrame(page, pages[which].play));
        }
      } finally {
        await context.close();
      }
    }
  }
  return times;
}

/** The 1080p ladder encode, then the storyboard from its smallest rung; wall ms of each. */
async function storyboardShare(): Promise<{ ladderMs: number; storyboardMs: number; sheets: number }> {
  const { ffmpegPath } = ffmpegBinaries(process.env.PATH);
  const source = await testMp4(STORYBOARD_SOURCE_SECONDS);
  const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-storyboard-'));
  try {
    const ladder = ladderFor({ width: 1920, height: 1080 });
    ladder.forEach((_, index) => mkdirSync(join(dir, 'out', String(index)), { recursive: true }));
    const job = {
      videoId: 'bench',
      sourceKey: 'bench',
      outputPrefix: 'bench',
      ladder,
      hasAudio: true,
      durationSeconds: STORYBOARD_SOURCE_SECONDS,
      frameRate: 30,
      gopFrames: 30 * KEYFRAME_SECONDS,
      segmentSeconds: SEGMENT_SECONDS,
      keyframeSeconds: KEYFRAME_SECONDS,
      audioBitrate: AUDIO_BITRATE,
      stills: [],
    };
    let started = performance.now();
    await exec(ffmpegPath, ladderArgs(job, { source, outDir: join(dir, 'out') }), { maxBuffer: 64 * 1024 * 1024 });
    const ladderMs = performance.now() - started;
    const plan = storyboardPlan(ladder, STORYBOARD_SOURCE_SECONDS);
    const board = {
      keyPrefix: '',
      sheetPattern: SHEET_PATTERN,
      sourceRung: '0',
      everyNthKeyframe: plan.intervalSeconds / KEYFRAME_SECONDS,
      width: plan.width,
      height: plan.height,
      columns: plan.columns,
      rows: plan.rows,
    };
    mkdirSync(join(dir, 'storyboard'));
    started = performance.now();
    await exec(
      ffmpegPath,
      storyboardArgs(join(dir, 'out', '0', 'index.m3u8'), board, join(dir, 'storyboard', SHEET_PATTERN)),
    );
    const storyboardMs = performance.now() - started;
    return { ladderMs, storyboardMs, sheets: readdirSync(join(dir, 'storyboard')).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Time from pressing Play to the first frame in Chromium against the standalone server, cold
 * (empty cache) and warm (the page again), Kinema's title page (playback grant, media-chrome and
 * hls.js loaded on demand) against a bare `<video>` + hls.js page doing the same grant; and the
 * storyboard's cost as a share of the ladder encode it follows.
 */
export const playbackStartBench: Benchmark = {
  name: 'playback-start',
  async run(): Promise<Row[]> {
    const rows: Row[] = [];
    const kinema = await startKinema();
    const browser = await launchBrowser();
    try {
      // The browser suite's sample title, with room for a busy machine (the ladder is the slow part).
      const token = await adminToken(kinema);
      const videoId = await createVideo(kinema, token, SAMPLE);
      await uploadSource(kinema, token, videoId, await testMp4(SAMPLE_SECONDS));
      await waitUntilReady(kinema, token, videoId, 900_000);
      const published = await fetch(`${kinema.url}/api/catalog/videos/${videoId}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      if (!published.ok) throw new Error(`publishing the bench title answered ${published.status}`);
      const signInContext = await browser.newContext({ locale: 'ja-JP' });
      const signInPage = await signInContext.newPage();
      await signInPage.goto(kinema.url);
      await signIn(signInPage, kinema.admin);
      const session = JSON.stringify(await signInContext.storageState());
      await signInContext.close();

      const times = await measurePages(browser, kinema.url, videoId, session);
      for (const temperature of ['cold', 'warm'] as const) {
        const subject = median(times.kinema[temperature]);
        const baseline = median(times.bare[temperature]);
        const ratio = subject / baseline;
        rows.push({
          benchmark: 'playback-start',
          metric: `Play to first frame, ${temperature} (median of ${RUNS})`,
          unit: 'ms',
          subject,
          baseline,
          ratio,
          goal: 'at most 1.5x the bare <video> + hls.js page',
          met: ratio <= 1.5,
          notes: `kinema ${times.kinema[temperature].map(Math.round).join('/')}; bare ${times.bare[temperature].map(Math.round).join('/')}`,
        });
      }
    } finally {
      await browser.close();
      await kinema.stop();
    }

    const share = await storyboardShare();
    rows.push({
      benchmark: 'playback-start',
      metric: `storyboard after the 1080p ladder (${STORYBOARD_SOURCE_SECONDS} s source)`,
      unit: 'ms',
      subject: share.storyboardMs,
      baseline: share.ladderMs,
      ratio: share.storyboardMs / share.ladderMs,
      goal: 'at most 5% of the ladder encode',
      met: share.storyboardMs / share.ladderMs <= 0.05,
      notes: `${share.sheets} sheet(s); keyframes of the smallest rung only`,
    });
    return rows;
  },
};
