import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTestClip } from '#test/e2e/fixtures/video.js';
import { runCli } from '#runtime/standalone/cli.js';

/*
 * What the crash and backup tests do to a running standalone server, through its public surface
 * only: the `kinema` CLI for accounts and tokens, the HTTP API, the presigned store URLs, the
 * sandbox checkout page and the media edge.
 */

export async function cli(dataDir: string, url: string | undefined, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(
    argv,
    { KINEMA_DATA: dataDir, ...(url ? { KINEMA_PUBLIC_URL: url } : {}) },
    { out: (text) => (out += text), err: (text) => (err += text) },
  );
  return { code, out: out.trim(), err: err.trim() };
}

/** Creates an account with the CLI and returns a token for it (for the server at `url`). */
export async function account(dataDir: string, url: string, email: string, admin = false): Promise<string> {
  const added = await cli(
    dataDir,
    url,
    'users',
    'add',
    '--email',
    email,
    '--password',
    'a long enough password',
    ...(admin ? ['--role', 'admin'] : []),
  );
  if (added.code !== 0) throw new Error(`users add ${email}: ${added.err}`);
  return token(dataDir, url, email);
}

export async function token(dataDir: string, url: string, email: string): Promise<string> {
  const made = await cli(dataDir, url, 'token', '--email', email);
  if (made.code !== 0) throw new Error(`token ${email}: ${made.err}`);
  return made.out;
}

export interface Api {
  <T>(method: string, path: string, body?: unknown): Promise<T>;
  raw(method: string, path: string, body?: unknown): Promise<Response>;
}

/** JSON calls to the API as the holder of `bearer`; a non-2xx answer throws with its body. */
export function api(url: string, bearer: string): Api {
  const raw = (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await raw(method, path, body);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return Object.assign(call, { raw });
}

/** A small real MP4 (4 s, 320x180, with audio), made once per machine: transcoding it takes seconds. */
export async function smallClip(): Promise<string> {
  const path = join(tmpdir(), 'kinema-durability-320x180-4s.mp4');
  if (existsSync(path) && statSync(path).size > 0) return path;
  const partial = `${path}.${process.pid}.partial.mp4`;
  await writeTestClip(partial, { width: 320, height: 180, seconds: 4 });
  renameSync(partial, path);
  return path;
}

export interface UploadStart {
  uploadId: string;
  partSize: number;
  parts: { partNumber: number; url: string }[];
}

/** PUTs one part to its presigned URL; returns the ETag the store acknowledged it with. */
export async function putPart(url: string, body: Uint8Array<ArrayBuffer>): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body });
  const etag = response.headers.get('etag');
  if (response.status !== 200 || !etag) throw new Error(`part PUT answered ${response.status}`);
  return etag;
}

/** Creates a title, uploads the small clip, waits until the pipeline made its ladder, publishes it. */
export async function publishTitle(admin: Api, input: { title: string; priceJpy: number }): Promise<string> {
  const { videoId } = await admin<{ videoId: string }>('POST', '/api/catalog/videos', {
    description: 'made by the durability tests',
    cast: ['Test Cast'],
    genres: ['Test'],
    ...input,
  });
  const bytes = readFileSync(await smallClip());
  const started = await admin<UploadStart>('POST', `/api/catalog/videos/${videoId}/upload`, {
    size: bytes.length,
    contentType: 'video/mp4',
  });
  const parts = [];
  for (const part of started.parts) {
    const from = (part.partNumber - 1) * started.partSize;
    parts.push({
      partNumber: part.partNumber,
      etag: await putPart(part.url, bytes.subarray(from, Math.min(from + started.partSize, bytes.length))),
    });
  }
  await admin('POST', `/api/catalog/videos/${videoId}/upload/complete`, { uploadId: started.uploadId, parts });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const media = await admin<{ state: string; error?: string }>('GET', `/api/media/videos/${videoId}`);
    const video = await admin<{ status: string }>('GET', `/api/catalog/videos/${videoId}`);
    if (media.state === 'failed') throw new Error(`the pipeline failed: ${media.error ?? ''}`);
    if (media.state === 'ready' && video.status === 'ready') break;
    if (Date.now() > deadline)
      throw new Error(`video ${videoId} not ready: media ${media.state}, catalog ${video.status}`);
    await new Promise((done) => setTimeout(done, 300));
  }
  await admin('POST', `/api/catalog/videos/${videoId}/publish`);
  return videoId;
}

/**
 * Buys through the sandbox checkout as a browser does: checkout → the card form's POST. Returns
 * true once the sandbox answered 303 to the success page: the purchase is acknowledged.
 */
export async function purchase(
  viewer: Api,
  url: string,
  body: { kind: 'rental'; videoId: string } | { kind: 'subscription' },
): Promise<boolean> {
  const { checkoutUrl } = await viewer<{ checkoutUrl: string }>('POST', '/api/entitlement/checkout', body);
  const paid = await fetch(checkoutUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'pay', card: '4242424242424242' }).toString(),
  });
  await paid.arrayBuffer();
  return paid.status === 303 && (paid.headers.get('location') ?? '').includes('checkout=success');
}

/**
 * Plays a title as the player does: asks entitlement for playback (signed cookies), then fetches
 * the HLS master playlist, the first rendition playlist and its first segment through the edge.
 */
export async function play(viewer: Api, videoId: string): Promise<{ master: string; segmentBytes: number }> {
  const response = await viewer.raw('POST', `/api/entitlement/playback/${videoId}`);
  if (response.status !== 200) throw new Error(`playback answered ${response.status}: ${await response.text()}`);
  const { manifestUrl } = (await response.json()) as { manifestUrl: string };
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  const get = async (target: string) => {
    const answer = await fetch(target, { headers: { cookie } });
    if (answer.status !== 200) throw new Error(`GET ${target} answered ${answer.status}: ${await answer.text()}`);
    return answer;
  };
  const master = await (await get(manifestUrl)).text();
  const rendition = master.split('\n').find((line) => line && !line.startsWith('#'));
  if (!rendition) throw new Error(`the master playlist names no rendition:\n${master}`);
  const renditionUrl = new URL(rendition, manifestUrl).href;
  const playlist = await (await get(renditionUrl)).text();
  const segment = playlist.split('\n').find((line) => line && !line.startsWith('#'));
  if (!segment) throw new Error(`the rendition playlist names no segment:\n${playlist}`);
  const bytes = await (await get(new URL(segment, renditionUrl).href)).arrayBuffer();
  return { master, segmentBytes: bytes.byteLength };
}

/** The account id a token speaks for (its `sub` claim): what the services key a viewer's records by. */
export function userIdOf(bearer: string): string {
  const payload = bearer.split('.')[1];
  if (!payload) throw new Error('not a JWT');
  const { sub } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
  if (typeof sub !== 'string' || !sub) throw new Error('the token names no subject');
  return sub;
}

/** Polls `probe` until it answers something other than undefined, or throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
