import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './harness.js';
import { writeTestClip } from './fixtures/video.js';

const exec = promisify(execFile);

/** What a test needs to reach the server as an admin: its URL and its data folder (for the CLI). */
export interface Server {
  url: string;
  admin: { email: string };
  dataDir: string | null;
}

/** An access token for the admin, from `kinema token` on the server's data folder. */
export async function adminToken(server: Server): Promise<string> {
  if (!server.dataDir) throw new Error('minting a token needs the standalone server (KINEMA_E2E_URL has no CLI)');
  const { stdout } = await exec(
    process.execPath,
    ['runtime/standalone/bin/kinema.js', 'token', '--email', server.admin.email],
    {
      cwd: repoRoot,
      env: { ...process.env, KINEMA_DATA: server.dataDir, KINEMA_PUBLIC_URL: server.url },
    },
  );
  const token = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error(`kinema token printed no token: ${stdout}`);
  return token;
}

/**
 * A generated 1080p30 H.264 + AAC MP4 (test pattern and a tone), made once per length in
 * os.tmpdir() and reused across runs.
 */
export async function testMp4(seconds = 12): Promise<string> {
  const path = join(tmpdir(), `kinema-e2e-1080p-${seconds}s.mp4`);
  if (existsSync(path) && statSync(path).size > 0) return path;
  const partial = `${path}.${process.pid}.partial.mp4`;
  await writeTestClip(partial, { width: 1920, height: 1080, seconds });
  renameSync(partial, path);
  return path;
}

async function call<T>(server: Server, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const send = () =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  // A kept-alive socket the server closes just as it is reused fails the request (ECONNRESET): a
  // busy machine makes that likelier while the sample transcodes. A GET changes nothing: send it
  // again, once; anything else fails as it is.
  const response = await send().catch((error: unknown) => {
    if (method !== 'GET') throw error;
    return send();
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface VideoInput {
  title: string;
  description?: string;
  cast?: string[];
  genres?: string[];
  priceJpy?: number;
  freePreview?: boolean;
}

/** A catalog entry with no media: a draft that must never reach viewers. */
export async function createVideo(server: Server, token: string, input: VideoInput): Promise<string> {
  const video = await call<{ videoId: string }>(server, token, 'POST', '/api/catalog/videos', {
    description: '',
    cast: [],
    genres: [],
    priceJpy: 500,
    ...input,
  });
  return video.videoId;
}

/** The S3-shaped multipart flow through the API: start, PUT each part to its presigned URL, complete. */
export async function uploadSource(server: Server, token: string, videoId: string, file: string): Promise<void> {
  const bytes = readFileSync(file);
  const started = await call<{ uploadId: string; partSize: number; parts: { partNumber: number; url: string }[] }>(
    server,
    token,
    'POST',
    `/api/catalog/videos/${videoId}/upload`,
    { size: bytes.length, contentType: 'video/mp4' },
  );
  const parts: { partNumber: number; etag: string }[] = [];
  for (const part of started.parts) {
    const start = (part.partNumber - 1) * started.partSize;
    const response = await fetch(part.url, {
      method: 'PUT',
      body: bytes.subarray(start, Math.min(start + started.partSize, bytes.length)),
    });
    const etag = response.headers.get('etag');
    if (!response.ok || !etag) throw new Error(`part ${part.partNumber} answered ${response.status}`);
    parts.push({ partNumber: part.partNumber, etag });
  }
  await call(server, token, 'POST', `/api/catalog/videos/${videoId}/upload/complete`, {
    uploadId: started.uploadId,
    parts,
  });
}

/** Waits until the media pipeline made the ladder and the catalog knows the video is ready. */
export async function waitUntilReady(server: Server, token: string, videoId: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const media = await call<{ state: string; progress: number; error?: string }>(
      server,
      token,
      'GET',
      `/api/media/videos/${videoId}`,
    );
    if (media.state === 'failed') throw new Error(`the pipeline failed: ${media.error ?? 'no reason'}`);
    const video = await call<{ status: string }>(server, token, 'GET', `/api/catalog/videos/${videoId}`);
    if (media.state === 'ready' && video.status === 'ready') return;
    last = `media ${media.state} ${media.progress}%, catalog ${video.status}`;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`video ${videoId} was not ready within ${timeoutMs} ms (${last})`);
}

/**
 * A published title with a real HLS ladder: creates it, uploads a generated 1080p MP4 with audio
 * through the presigned-part flow, waits for `ready`, publishes. Returns its id.
 */
export async function publishTestVideo(
  server: Server,
  token: string,
  input: VideoInput,
  options: { seconds?: number } = {},
): Promise<string> {
  const videoId = await createVideo(server, token, input);
  await uploadSource(server, token, videoId, await testMp4(options.seconds));
  await waitUntilReady(server, token, videoId);
  await call(server, token, 'POST', `/api/catalog/videos/${videoId}/publish`);
  return videoId;
}

/** The one sample title the browser suites share (transcoding is the slow part of a run). */
export const SAMPLE: Required<VideoInput> = {
  title: 'E2E 1080p サンプル — 夜明けの駅',
  description: '終電を逃した二人が、始発までの数時間を歩く。\nブラウザテスト用の 1080p 作品です。',
  cast: ['山田 花子', 'John Smith'],
  genres: ['ドラマ', 'ロードムービー'],
  priceJpy: 440,
  freePreview: false,
};
export const SAMPLE_SECONDS = 12;

/**
 * The shared sample: published already by an earlier file of this run (found by its title), or
 * published now. Either way it is ready, published and carries SAMPLE's facts.
 */
export async function sampleVideo(server: Server, token: string): Promise<string> {
  let cursor: string | null | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const page = await call<{
      items: { videoId: string; title: string; published: boolean; status: string }[];
      nextCursor?: string | null;
    }>(server, token, 'GET', `/api/catalog/videos?${query}`);
    const found = page.items.find(
      (video) => video.title === SAMPLE.title && video.published && video.status === 'ready',
    );
    if (found) return found.videoId;
    cursor = page.nextCursor;
  } while (cursor);
  return publishTestVideo(server, token, SAMPLE, { seconds: SAMPLE_SECONDS });
}
