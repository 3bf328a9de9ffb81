import { outcomeFromProbeReport } from '#services/media/src/domain/ffprobe.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMasterPlaylist, parseMediaPlaylist } from '#services/media/src/domain/playlist.js';
import { mediaStore } from '#services/media/src/store.js';
import { VideoUploaded } from '#shared/events/catalog.js';
import type { EventEnvelope } from '#shared/events/define.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { unauthorized } from '#shared/errors.js';
import { fileStore } from '#platform/local/file-store.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { ffmpegBinaries } from '#platform/local/ffmpeg/binaries.js';
import { localMedia } from './media.js';
import { probe } from '#platform/local/ffmpeg/probe.js';

const { ffmpegPath, ffprobePath } = ffmpegBinaries(process.env.PATH);
const dir = mkdtempSync(join(tmpdir(), 'kinema-media-'));
const file = (name: string) => join(dir, 'inputs', name);

const ffmpeg = (...args: string[]) => execFileSync(ffmpegPath, ['-v', 'error', '-y', ...args], { stdio: 'pipe' });
const lavfi = (size: string, seconds: number) => [
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${size}:rate=30:duration=${seconds}`,
];
const sine = (seconds: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

const verifier: TokenVerifier = {
  async verify(token) {
    if (token === 'admin') return { userId: 'u-admin', roles: ['admin'] };
    if (token === 'viewer') return { userId: 'u-viewer', roles: ['viewer'] };
    throw unauthorized();
  },
};

let table: SqliteTable;
let media: ReturnType<typeof localMedia>;
let store: ReturnType<typeof fileStore>;
const now = Date.parse('2026-01-01T00:00:00Z');

async function text(key: string): Promise<string> {
  const object = await store.get(key);
  if (!object) throw new Error(`${key} missing`);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A stored JPEG's size as ffprobe reads it, e.g. `640x360`. */
async function imageSize(key: string): Promise<string> {
  const object = await store.get(key);
  if (!object) throw new Error(`${key} missing`);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body as Readable) chunks.push(chunk as Buffer);
  const path = join(dir, 'still-under-test.jpg');
  writeFileSync(path, Buffer.concat(chunks));
  return execFileSync(ffprobePath, ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', path])
    .toString()
    .trim();
}

function uploaded(videoId: string): EventEnvelope {
  return VideoUploaded.create(
    { videoId, sourceKey: `sources/${videoId}/source`, size: 1, contentType: 'video/mp4' },
    now,
  );
}

/** Puts the file as the upload, delivers VideoUploaded and waits for the execution to end. */
async function run(videoId: string, input: string) {
  await store.put(`sources/${videoId}/source`, readFileSync(input), { contentType: 'video/mp4' });
  const envelope = uploaded(videoId);
  const start = media.service.subscriptions.find((subscription) => subscription.name === 'media.start-pipeline')!;
  await start.handle(envelope);
  const record = await mediaStore(table).find(videoId);
  await media.workflow.settled(record!.video.executionId!);
  return { envelope, start };
}

async function view(videoId: string, token = 'admin') {
  const response = await media.service.app.request(`/videos/${videoId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown> & { state: string; error?: string };
}

const events = (type: string, videoId: string) =>
  table.outbox
    .pending(1000)
    .map((row) => row.envelope)
    .filter(
      (envelope) => envelope['detail-type'] === type && (envelope.detail as { videoId: string }).videoId === videoId,
    );

beforeAll(() => {
  execFileSync('mkdir', ['-p', join(dir, 'inputs')]);
  ffmpeg(...lavfi('640x360', 3), ...sine(3), ...x264, '-c:a', 'aac', '-shortest', file('landscape.mp4'));
  ffmpeg(...lavfi('640x360', 2), ...x264, file('silent.mp4'));
  // A phone's portrait video: landscape pixels with a quarter-turn display matrix.
  ffmpeg('-i', file('silent.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', file('portrait.mp4'));
  ffmpeg(...lavfi('320x180', 2), ...x264, file('tiny.mp4'));
  ffmpeg(...sine(2), '-c:a', 'aac', file('audio-only.m4a'));
  ffmpeg(...lavfi('320x180', 1), '-frames:v', '1', ...x264, file('one-frame.mp4'));
  const whole = readFileSync(file('landscape.mp4'));
  writeFileSync(file('truncated.mp4'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(file('notes.txt'), 'this is not a video\n');
  // Index first (faststart), so the header reads fine and only decoding finds the missing tail.
  ffmpeg('-i', file('landscape.mp4'), '-c', 'copy', '-movflags', '+faststart', file('faststart.mp4'));
  const streamable = readFileSync(file('faststart.mp4'));
  writeFileSync(file('cut-short.mp4'), streamable.subarray(0, Math.floor(streamable.length * 0.4)));

  table = sqliteTable({ file: join(dir, 'media.db'), now: () => now });
  store = fileStore({
    root: join(dir, 'store'),
    publicUrl: 'http://localhost',
    secret: 's'.repeat(32),
    now: () => now,
  });
  media = localMedia({
    table,
    verifier,
    sources: store,
    media: store,
    workDir: join(dir, 'work'),
    clock: { now: () => now },
    path: process.env.PATH,
    preset: 'superfast',
  });
}, 60_000);

afterAll(async () => {
  await media?.close();
  table?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('probe (ffprobe)', () => {
  it('reads size, rotation, frame rate and tracks', async () => {
    const outcome = outcomeFromProbeReport(await probe(file('portrait.mp4'), { ffprobePath, ffmpegPath }));
    expect(outcome.kind).toBe('probed');
    if (outcome.kind !== 'probed') return;
    expect(outcome.facts.video).toMatchObject({
      codec: 'h264',
      width: 640,
      height: 360,
      frameRate: 30,
      decodable: true,
    });
    expect(Math.abs(outcome.facts.video!.rotation)).toBe(90);
    expect(outcome.facts.audio).toBeNull();
  });
});

describe('the media pipeline, standalone (ffmpeg + aws-local-stepfunctions + SQLite + file store)', () => {
  it('turns an MP4 with audio into a ready adaptive fMP4 HLS ladder, once per upload', async () => {
    const { envelope, start } = await run('vland', file('landscape.mp4'));
    const ready = await view('vland');
    expect(ready).toMatchObject({ state: 'ready', progress: 100, poster: 'media/videos/vland/poster.jpg' });
    expect((ready.renditions as { name: string }[]).map((rendition) => rendition.name)).toEqual(['416x234', '640x360']);

    const master = parseMasterPlaylist(await text('media/videos/vland/hls/master.m3u8'));
    expect(master.tags).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(master.variants).toHaveLength(2);
    for (const variant of master.variants) {
      expect(variant.attributes.CODECS).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      expect(Number(variant.attributes.BANDWIDTH)).toBeGreaterThanOrEqual(
        Number(variant.attributes['AVERAGE-BANDWIDTH']),
      );
      expect(variant.attributes['FRAME-RATE']).toBe('30.000');
      const playlistKey = `media/videos/vland/hls/${variant.uri}`;
      const playlist = parseMediaPlaylist(await text(playlistKey));
      expect(playlist.playlistType).toBe('VOD');
      expect(playlist.ended).toBe(true);
      expect(playlist.initUri).toMatch(/\.mp4$/);
      const folder = playlistKey.slice(0, playlistKey.lastIndexOf('/') + 1);
      expect(await store.head(folder + playlist.initUri)).toBeDefined();
      for (const segment of playlist.segments) {
        expect(segment.uri).toMatch(/\.m4s$/);
        expect((await store.head(folder + segment.uri))?.size).toBeGreaterThan(0);
      }
    }
    expect(master.variants.map((variant) => variant.attributes.RESOLUTION)).toEqual(['416x234', '640x360']);
    expect(await store.head('media/videos/vland/thumbnails/01.jpg')).toBeDefined();
    // The still sizes come from the ladder (domain/stills.ts), as MediaConvert's captures do on AWS.
    expect(await imageSize('media/videos/vland/poster.jpg')).toBe('640x360');
    // Thumbnails are the poster's candidates (an admin may pick one), so they share its size.
    expect(await imageSize('media/videos/vland/thumbnails/01.jpg')).toBe('640x360');
    // The seek-bar storyboard: one sprite sheet of 160x90 tiles and its track, under the HLS path.
    expect(ready.storyboard).toBe('media/videos/vland/hls/storyboard/thumbnails.vtt');
    const track = await text('media/videos/vland/hls/storyboard/thumbnails.vtt');
    const cues = track.trim().split('\n\n').slice(1);
    const duration = ready.durationSeconds as number;
    expect(cues.length).toBe(Math.ceil(duration / 2));
    expect(cues[0]).toBe('00:00:00.000 --> 00:00:02.000\nsheet-001.jpg#xywh=0,0,160,90');
    expect(cues[1]).toMatch(/\nsheet-001\.jpg#xywh=160,0,160,90$/);
    expect(await imageSize('media/videos/vland/hls/storyboard/sheet-001.jpg')).toBe('1600x900');
    expect(events('VideoReady', 'vland')).toHaveLength(1);
    // The start, then progress at most every 2 s: the test clock stands still, so one report at most.
    const progress = events('VideoProcessing', 'vland').map((event) => (event.detail as { progress: number }).progress);
    expect(progress[0]).toBe(0);
    expect(progress.length).toBeLessThanOrEqual(2);
    expect(progress.every((percent) => percent < 100)).toBe(true);

    // The bus delivers at least once: the same upload again starts nothing.
    const before = await mediaStore(table).find('vland');
    await start.handle(envelope);
    const after = await mediaStore(table).find('vland');
    expect(after?.video.run).toBe(before?.video.run);
    expect(after?.video.state).toBe('ready');

    // Viewers see the state and what a player needs, not the internals.
    const publicView = await view('vland', 'viewer');
    expect(publicView).not.toHaveProperty('plan');
    expect(publicView).not.toHaveProperty('executionId');
  }, 60_000);

  it('keeps a rotated (portrait) phone video portrait, video-only', async () => {
    await run('vport', file('portrait.mp4'));
    const ready = await view('vport');
    expect(ready.state).toBe('ready');
    expect((ready.renditions as { name: string; codecs: string }[]).map((rendition) => rendition.name)).toEqual([
      '234x416',
      '360x640',
    ]);
    const master = parseMasterPlaylist(await text('media/videos/vport/hls/master.m3u8'));
    expect(master.variants[0]?.attributes.CODECS).toMatch(/^avc1\.[0-9a-f]{6}$/);
    const rendition = `media/videos/vport/hls/${master.variants[1]?.uri}`;
    const folder = rendition.slice(0, rendition.lastIndexOf('/') + 1);
    const playlist = parseMediaPlaylist(await text(rendition));
    // The encoded pictures themselves are portrait.
    const first = join(dir, 'first.mp4');
    const bytes = async (key: string) => {
      const chunks: Buffer[] = [];
      for await (const chunk of (await store.get(key))!.body as Readable) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    writeFileSync(
      first,
      Buffer.concat([await bytes(folder + playlist.initUri!), await bytes(folder + playlist.segments[0]!.uri)]),
    );
    const outcome = outcomeFromProbeReport(await probe(first, { ffprobePath }));
    expect(outcome.kind === 'probed' && outcome.facts.video).toMatchObject({ width: 360, height: 640 });
  }, 60_000);

  it.each([
    ['vtext', 'notes.txt', /not a video/],
    ['vtrunc', 'truncated.mp4', /incomplete: its MP4 index/],
    ['vcut', 'cut-short.mp4', /truncated|could not transcode/],
    ['vaudio', 'audio-only.m4a', /only audio/],
    ['vzero', 'one-frame.mp4', /lasts 0\.0 s/],
  ])(
    'ends %s (%s) failed with a reason a person can read',
    async (videoId, input, reason) => {
      await run(videoId, file(input));
      const failed = await view(videoId);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(reason);
      expect(events('VideoFailed', videoId)).toHaveLength(1);
      expect(await store.head(`media/videos/${videoId}/hls/master.m3u8`)).toBeUndefined();
      expect(await view(videoId, 'viewer')).not.toHaveProperty('error');
    },
    30_000,
  );

  it('lets an admin retry a failed video, and only a failed one', async () => {
    await store.put('sources/vtext/source', readFileSync(file('tiny.mp4')));
    const retried = await media.service.app.request('/videos/vtext/retry', {
      method: 'POST',
      headers: { authorization: 'Bearer admin' },
    });
    expect(retried.status).toBe(202);
    const record = await mediaStore(table).find('vtext');
    await media.workflow.settled(record!.video.executionId!);
    expect((await view('vtext')).state).toBe('ready');
    const again = await media.service.app.request('/videos/vtext/retry', {
      method: 'POST',
      headers: { authorization: 'Bearer admin' },
    });
    expect(again.status).toBe(409);
    const viewer = await media.service.app.request('/videos/vtext/retry', {
      method: 'POST',
      headers: { authorization: 'Bearer viewer' },
    });
    expect(viewer.status).toBe(403);
  }, 30_000);

  it('restarts a video a crash left processing, and fails it after 3 attempts', async () => {
    const records = mediaStore(table);
    const stuck = (videoId: string, attempts: number) => ({
      videoId,
      state: 'processing' as const,
      progress: 40,
      sourceKey: `sources/${videoId}/source`,
      uploadEventId: `up-${videoId}`,
      run: attempts,
      attempts,
      executionId: `arn:kinema:local:execution:media-pipeline:${videoId}-gone`,
      plan: null,
      renditions: [],
      posterKey: null,
      thumbnailKeys: [],
      posterFrom: null,
      storyboardKey: null,
      durationSeconds: null,
      error: null,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      startedAt: new Date(now).toISOString(),
      finishedAt: null,
    });
    await store.put('sources/vstuck/source', readFileSync(file('tiny.mp4')));
    await records.save(undefined, stuck('vstuck', 1));
    await records.save(undefined, stuck('vdoomed', 3));

    const result = await media.service.recover();
    expect(result).toEqual({ restarted: ['vstuck'], failed: ['vdoomed'] });
    const restarted = await records.find('vstuck');
    expect(restarted?.video).toMatchObject({ run: 2, attempts: 2 });
    await media.workflow.settled(restarted!.video.executionId!);
    expect((await view('vstuck')).state).toBe('ready');
    expect((await view('vdoomed')).error).toMatch(/interrupted 3 times/);
    // Nothing is left active: a second recovery finds nothing to do.
    expect(await media.service.recover()).toEqual({ restarted: [], failed: [] });
  }, 30_000);

  it('adds subtitles to a ready ladder without a transcode, and keeps them through a re-transcode', async () => {
    const subtitles = (method: string, body?: string) =>
      media.service.app.request('/videos/vland/subtitles/ja', {
        method,
        headers: { authorization: 'Bearer admin' },
        ...(body === undefined ? {} : { body }),
      });
    const jobsBefore = (await mediaStore(table).find('vland'))!.video.run;
    expect((await subtitles('PUT', '1\n00:00:00,500 --> 00:00:02,000\nこんにちは\n')).status).toBe(201);
    expect((await mediaStore(table).find('vland'))!.video.run).toBe(jobsBefore); // no new run
    const listed = () =>
      parseMasterPlaylist(
        readFileSync(join(dir, 'store', 'objects', 'media', 'videos', 'vland', 'hls', 'master.m3u8'), 'utf8'),
      );
    const uriOf = (master: ReturnType<typeof listed>) =>
      /URI="([^"]+)"/.exec(master.tags.find((tag) => tag.startsWith('#EXT-X-MEDIA:TYPE=SUBTITLES')) ?? '')?.[1];
    expect(uriOf(listed())).toMatch(/^sub_ja_[0-9a-f]+\/index\.m3u8$/);

    // A new upload transcodes again: the subtitle source stays, and the new master lists it again.
    await run('vland', file('landscape.mp4'));
    expect((await view('vland')).state).toBe('ready');
    const master = listed();
    expect(master.variants.every((variant) => variant.attributes.SUBTITLES === 'subs')).toBe(true);
    const subtitlePlaylist = parseMediaPlaylist(await text(`media/videos/vland/hls/${uriOf(master)}`));
    const videoPlaylist = parseMediaPlaylist(await text(`media/videos/vland/hls/${master.variants[0]!.uri}`));
    expect(subtitlePlaylist.segments.map((segment) => segment.durationSeconds)).toEqual(
      videoPlaylist.segments.map((segment) => segment.durationSeconds),
    );
  }, 60_000);

  it('discards the record and every object when the video is deleted', async () => {
    const discard = media.service.subscriptions.find((subscription) => subscription.name === 'media.discard')!;
    const { VideoDeleted } = await import('#shared/events/catalog.js');
    await discard.handle(VideoDeleted.create({ videoId: 'vland' }, now));
    expect(await store.list('media/videos/vland/')).toEqual([]);
    expect((await view('vland')).state).toBe('waiting');
    const languages = await media.service.app.request('/videos/vland/subtitles', {
      headers: { authorization: 'Bearer admin' },
    });
    expect(await languages.json()).toEqual({ items: [] });
  });
});
