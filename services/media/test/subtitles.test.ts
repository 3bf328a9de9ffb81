import Encoding from 'encoding-japanese';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fileStore } from '#platform/local/file-store.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { unauthorized } from '#shared/errors.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import type { Workflow } from '#shared/ports/workflow.js';
import type { MediaVideo } from '../src/domain/media-video.js';
import { masterPlaylist, parseMasterPlaylist, parseMediaPlaylist } from '../src/domain/playlist.js';
import { createMediaService } from '../src/service.js';
import { mediaStore } from '../src/store.js';

/**
 * The subtitle routes on the standalone adapters (SQLite table, file store): a ready video whose
 * ladder is written here by hand (two 6 s segments and a 0.5 s one), no transcode needed.
 */
const dir = mkdtempSync(join(tmpdir(), 'kinema-subtitles-'));
const now = Date.parse('2026-01-01T00:00:00Z');
const verifier: TokenVerifier = {
  async verify(token) {
    if (token === 'admin') return { userId: 'u-admin', roles: ['admin'] };
    if (token === 'viewer') return { userId: 'u-viewer', roles: ['viewer'] };
    throw unauthorized();
  },
};
const workflow: Workflow = {
  start: async () => ({ executionId: 'x' }),
  describe: async () => ({ status: 'RUNNING' }),
} as never;

const SRT = `1
00:00:01,000 --> 00:00:03,000
こんにちは、世界。

2
00:00:05,500 --> 00:00:07,000
境目をまたぐ字幕

3
00:00:08,000 --> 00:00:09,000
<i>三つ目</i>
`;
const sjis = (text: string) =>
  Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'SJIS', from: 'UNICODE' }));

let table: SqliteTable;
let store: ReturnType<typeof fileStore>;
let service: ReturnType<typeof createMediaService>;
let run = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function text(key: string): Promise<string | undefined> {
  const object = await store.get(key);
  if (!object) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const LADDER = masterPlaylist([
  {
    uri: '416x234/index.m3u8',
    bandwidth: 250_000,
    averageBandwidth: 200_000,
    codecs: 'avc1.64000d,mp4a.40.2',
    width: 416,
    height: 234,
    frameRate: 30,
  },
]);

async function readyVideo(videoId: string, state: MediaVideo['state'] = 'ready') {
  const at = new Date(now).toISOString();
  await mediaStore(table).save(undefined, {
    videoId,
    state,
    progress: state === 'ready' ? 100 : 10,
    sourceKey: `sources/${videoId}/source`,
    uploadEventId: 'e1',
    run: 1,
    attempts: 1,
    executionId: null,
    plan: null,
    renditions: [],
    posterKey: null,
    posterFrom: null,
    thumbnailKeys: [],
    storyboardKey: null,
    durationSeconds: 12.5,
    error: null,
    createdAt: at,
    updatedAt: at,
    startedAt: at,
    finishedAt: state === 'ready' ? at : null,
  });
  const hls = `media/videos/${videoId}/hls/`;
  await store.put(
    `${hls}416x234/index.m3u8`,
    Buffer.from(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI="init_0.mp4"\n' +
        '#EXTINF:6.000000,\nseg_00000.m4s\n#EXTINF:6.000000,\nseg_00001.m4s\n#EXTINF:0.500000,\nseg_00002.m4s\n#EXT-X-ENDLIST\n',
    ),
  );
  if (state === 'ready') await store.put(`${hls}master.m3u8`, Buffer.from(LADDER));
}

const put = (videoId: string, language: string, body: Uint8Array | string, headers: Record<string, string> = {}) =>
  service.app.request(`/videos/${videoId}/subtitles/${language}`, {
    method: 'PUT',
    headers: { authorization: 'Bearer admin', 'content-type': 'application/x-subrip', ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });

beforeEach(() => {
  run++;
  table = sqliteTable({ file: join(dir, `media-${run}.db`), now: () => now });
  store = fileStore({
    root: join(dir, `objects-${run}`),
    publicUrl: 'http://localhost',
    secret: 's'.repeat(32),
    now: () => now,
  });
  service = createMediaService({ table, verifier, media: store, workflow, clock: { now: () => now } });
});

describe('subtitles on a ready video', () => {
  it('publishes a Shift_JIS SRT as a segmented WebVTT rendition in the master, with no transcode', async () => {
    await readyVideo('v1');
    const response = await put('v1', 'JA', sjis(SRT));
    expect(response.status).toBe(201);
    const body = (await response.json()) as {
      language: string;
      name: string;
      encoding: string;
      cueCount: number;
      revision: string;
    };
    expect(body).toMatchObject({
      language: 'ja',
      name: '日本語',
      encoding: 'shift_jis',
      format: 'srt',
      cueCount: 3,
      replaced: false,
    });

    const master = (await text('media/videos/v1/hls/master.m3u8'))!;
    const uri = `sub_ja_${body.revision}/index.m3u8`;
    expect(master).toContain(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="日本語",LANGUAGE="ja",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="${uri}"`,
    );
    expect(parseMasterPlaylist(master).variants[0]?.attributes).toMatchObject({
      SUBTITLES: 'subs',
      BANDWIDTH: '250000',
    });

    const playlist = parseMediaPlaylist((await text(`media/videos/v1/hls/${uri}`))!);
    expect(playlist.segments.map((segment) => segment.durationSeconds)).toEqual([6, 6, 0.5]);
    expect(playlist.ended).toBe(true);
    const first = (await text(`media/videos/v1/hls/sub_ja_${body.revision}/seg_00000.vtt`))!;
    const second = (await text(`media/videos/v1/hls/sub_ja_${body.revision}/seg_00001.vtt`))!;
    expect(first.startsWith('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n')).toBe(true);
    expect(first).toContain('00:00:01.000 --> 00:00:03.000\nこんにちは、世界。');
    expect(second).toContain('境目をまたぐ字幕'); // repeated across the 6 s boundary
    expect(second).toContain('<i>三つ目</i>');

    expect(events().map((event) => [event['detail-type'], event.detail])).toEqual([
      ['SubtitlesChanged', { videoId: 'v1', language: 'ja', revision: body.revision }],
    ]);
    const list = await service.app.request('/videos/v1/subtitles', { headers: { authorization: 'Bearer admin' } });
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ language: 'ja', cueCount: 3 }),
    ]);
  });

  it('replaces a language in a new folder and keeps the previous one for players holding the old master', async () => {
    await readyVideo('v2');
    const first = (await (await put('v2', 'ja', SRT)).json()) as { revision: string };
    const second = await put('v2', 'ja', SRT.replace('こんにちは', 'さようなら'));
    expect(second.status).toBe(200);
    const replaced = (await second.json()) as { revision: string; replaced: boolean };
    expect(replaced.replaced).toBe(true);
    const master = (await text('media/videos/v2/hls/master.m3u8'))!;
    expect(master).toContain(`sub_ja_${replaced.revision}/index.m3u8`);
    expect(master).not.toContain(first.revision);
    expect(await text(`media/videos/v2/hls/sub_ja_${first.revision}/index.m3u8`)).toBeDefined();

    await put('v2', 'en', '1\n00:00:01,000 --> 00:00:02,000\nHello\n');
    const third = (await (await put('v2', 'ja', SRT.replace('こんにちは', 'おはよう'))).json()) as { revision: string };
    // Two revisions back is gone; the one a cached master may still name stays.
    expect(await text(`media/videos/v2/hls/sub_ja_${first.revision}/index.m3u8`)).toBeUndefined();
    expect(await text(`media/videos/v2/hls/sub_ja_${replaced.revision}/index.m3u8`)).toBeDefined();
    const names = parseMasterPlaylist((await text('media/videos/v2/hls/master.m3u8'))!).tags.filter((tag) =>
      tag.includes('SUBTITLES'),
    );
    expect(names).toHaveLength(2);
    expect(names.join()).toContain(`sub_ja_${third.revision}`);

    const removed = await service.app.request('/videos/v2/subtitles/ja', {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    expect(removed.status).toBe(204);
    const after = (await text('media/videos/v2/hls/master.m3u8'))!;
    expect(after).not.toContain('LANGUAGE="ja"');
    expect(after).toContain('LANGUAGE="en"');
    expect(await text(`media/videos/v2/hls/sub_ja_${third.revision}/index.m3u8`)).toBeDefined();
    const gone = await service.app.request('/videos/v2/subtitles/ja', {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    expect(gone.status).toBe(404);
  });

  it('stores subtitles of a video still processing and lists them when the ladder is finalised', async () => {
    await readyVideo('v3', 'processing');
    expect((await put('v3', 'ja', SRT)).status).toBe(201);
    expect(await text('media/videos/v3/hls/master.m3u8')).toBeUndefined();
    await store.put('media/videos/v3/hls/master.m3u8', Buffer.from(LADDER)); // what finalize writes
    await service.subtitles.refreshMaster('v3');
    expect(await text('media/videos/v3/hls/master.m3u8')).toContain('LANGUAGE="ja"');
  });
});

describe('bad subtitle files change nothing', () => {
  const issuesOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; details: { issues: { code: string; line?: number }[] } } })
      .error;

  it('answers each problem by line: broken timestamps, overlap, not text, too big', async () => {
    await readyVideo('v4');
    const broken = await put(
      'v4',
      'ja',
      '1\n00:00:01,000 --> 00:00:0x,000\na\n\n2\n00:00:02,000 --> 00:00:04,000\nb\n\n3\n00:00:03,000 --> 00:00:05,000\nc\n',
    );
    expect(broken.status).toBe(400);
    expect((await issuesOf(broken)).details.issues.map((issue) => [issue.code, issue.line])).toEqual([
      ['bad_timestamp', 2],
      ['overlap', 10],
    ]);

    const binary = await put('v4', 'ja', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    expect(binary.status).toBe(415);
    expect((await issuesOf(binary)).details.issues[0]?.code).toBe('not_text');

    const huge = await put('v4', 'ja', Buffer.alloc(50 * 1024 * 1024, 0x41));
    expect(huge.status).toBe(413);
    expect((await issuesOf(huge)).code).toBe('payload_too_large');

    // Refused from its declared length: the answer comes while the body is still being sent.
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled < 3) controller.enqueue(new Uint8Array(64 * 1024).fill(0x41));
        // then never ends: a server that read it all would never answer
      },
    });
    const early = await service.app.request(
      new Request('http://media.test/videos/v4/subtitles/ja', {
        method: 'PUT',
        headers: { authorization: 'Bearer admin', 'content-length': String(50 * 1024 * 1024) },
        body: endless,
        duplex: 'half',
      } as RequestInit),
    );
    expect(early.status).toBe(413);
    expect(pulled).toBeLessThan(3);

    expect((await put('v4', 'klingon', SRT)).status).toBe(400);
    expect((await put('nope', 'ja', SRT)).status).toBe(404);
    expect((await put('v4', 'ja', SRT, { authorization: 'Bearer viewer' })).status).toBe(403);

    expect(await text('media/videos/v4/hls/master.m3u8')).toBe(LADDER);
    expect((await store.list('media/videos/v4/subtitles/')).length).toBe(0);
    expect(events()).toEqual([]);
  });
});

function events() {
  return table.outbox.pending(100).map((row) => row.envelope);
}
