import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { verifyCloudFrontCookies } from '#protocol/cloudfront-cookies.js';
import type { CookieRejection } from '#protocol/cloudfront-cookies.js';
import { isAppError } from '#shared/errors.js';
import { errorBody, serviceApp } from '#shared/http/app.js';
import { Id } from '#shared/ids.js';
import type { Logger } from '#shared/log.js';
import type { ObjectInfo, ObjectStore } from '#shared/ports/object-store.js';
import { parseRange } from './http-range.js';

export interface MediaEdgeOptions {
  objects: ObjectStore;
  /** key-pair id → RSA public key PEM: the local stand-in for CloudFront's key group. */
  publicKeys: Record<string, string>;
  /** Origin the browser reaches the edge at (e.g. http://localhost:3000); policies name URLs on it. */
  publicUrl: string;
  /** The one web origin allowed to read media with credentials (CORS). */
  allowedOrigin: string;
  /** Milliseconds since the epoch (the Clock port), so the dev clock also expires cookies. */
  now: () => number;
  /** Object-key prefix of the media tree; default 'media/'. */
  keyPrefix?: string;
  logger?: Logger;
}

/** The files an HLS tree may hold, by extension, with what CloudFront would send for them. */
const HLS_TYPES: Record<string, { type: string; cache: string }> = {
  m3u8: { type: 'application/vnd.apple.mpegurl', cache: 'private, max-age=10' },
  vtt: { type: 'text/vtt; charset=utf-8', cache: 'private, max-age=60' },
  m4s: { type: 'video/iso.segment', cache: 'private, max-age=31536000, immutable' },
  mp4: { type: 'video/mp4', cache: 'private, max-age=31536000, immutable' },
  m4a: { type: 'audio/mp4', cache: 'private, max-age=31536000, immutable' },
  ts: { type: 'video/mp2t', cache: 'private, max-age=31536000, immutable' },
  jpg: { type: 'image/jpeg', cache: 'private, max-age=31536000, immutable' },
  png: { type: 'image/png', cache: 'private, max-age=31536000, immutable' },
};
const POSTER = { type: 'image/jpeg', cache: 'public, max-age=300' };

/** One file name: letters, digits, '_', '-', dot-separated, a known extension; no '..' possible. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.([a-z0-9]+)$/;
/** `hls/<file>` or `hls/<rendition>/<file>`. */
const FOLDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const HLS_PATH = /\/videos\/([^/]+)\/hls\/(.+)$/;

type Denial = CookieRejection | 'origin_not_allowed';

/**
 * The standalone media edge: what CloudFront does on AWS. HLS files under
 * `/media/videos/:id/hls/` are served only to requests carrying CloudFront signed cookies whose
 * custom policy covers the URL the browser used, checked with the configured public keys by the
 * same verifier; posters are public. Bodies stream from the object store; one byte range per
 * request (what players ask for), validators for 304s, CORS with credentials for one origin.
 * Mount it at `/media`.
 */
export function mediaEdge(options: MediaEdgeOptions) {
  const keyPrefix = options.keyPrefix ?? 'media/';
  const publicUrl = options.publicUrl.replace(/\/$/, '');
  const edge = serviceApp({ describe: false, ...(options.logger ? { logger: options.logger } : {}) });

  edge.use('*', async (c, next) => {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
  });
  // A preflight from another origin is refused outright (CloudFront's response headers policy
  // names one origin); Hono's cors answers the web origin's.
  edge.options('/videos/*', async (c, next) => {
    if (c.req.header('origin') === options.allowedOrigin) return next();
    c.header('Vary', 'Origin');
    return deny(c, 'origin_not_allowed', 'this origin may not read media');
  });
  const webOrigin = cors({
    origin: options.allowedOrigin,
    credentials: true,
    allowMethods: ['GET', 'HEAD', 'OPTIONS'],
    allowHeaders: ['Range', 'If-None-Match', 'If-Modified-Since', 'If-Range'],
    exposeHeaders: ['Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag'],
    maxAge: 600,
  });
  // Hono's cors sends Allow-Credentials to every origin; the edge sends CORS headers only to the web's.
  edge.use('*', async (c, next) => {
    if (c.req.header('origin') === options.allowedOrigin) return webOrigin(c, next);
    await next();
    c.header('Vary', 'Origin', { append: true });
  });

  edge.get('/videos/:id/poster.jpg', async (c) => {
    const id = Id.safeParse(c.req.param('id'));
    if (!id.success) return notFound(c);
    return serve(c, options.objects, `${keyPrefix}videos/${id.data}/poster.jpg`, POSTER);
  });

  edge.get('/videos/:id/hls/*', async (c) => {
    const url = new URL(c.req.url);
    const match = HLS_PATH.exec(url.pathname);
    const id = Id.safeParse(match?.[1]);
    const parts = match?.[2]?.split('/') ?? [];
    const file = parts.at(-1) ?? '';
    const extension = FILE_NAME.exec(file)?.[1];
    const kind = extension === undefined ? undefined : HLS_TYPES[extension];
    const foldersOk = parts.length <= 2 && parts.slice(0, -1).every((folder) => FOLDER_NAME.test(folder));
    if (!id.success || !kind || !foldersOk) return notFound(c);

    const verdict = verifyCloudFrontCookies({
      cookies: getCookie(c),
      url: `${publicUrl}${url.pathname}${url.search}`,
      now: options.now(),
      publicKeys: options.publicKeys,
      ...clientIp(c),
    });
    if (!verdict.ok) return deny(c, verdict.reason, verdict.message);
    return serve(c, options.objects, `${keyPrefix}videos/${id.data}/hls/${parts.join('/')}`, kind);
  });

  return edge;
}

function deny(c: Context, reason: Denial, message: string) {
  c.header('Cache-Control', 'no-store');
  return c.json(errorBody('forbidden', message, { reason }), 403);
}

function notFound(c: Context) {
  c.header('Cache-Control', 'no-store');
  return c.json(errorBody('not_found', 'no such media file'), 404);
}

/** The socket's address when served by @hono/node-server; only an `IpAddress` policy reads it. */
function clientIp(c: Context): { clientIp?: string } {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress;
  return address ? { clientIp: address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') } : {};
}

async function serve(c: Context, objects: ObjectStore, key: string, kind: { type: string; cache: string }) {
  const method = c.req.method;
  const rangeHeader = c.req.header('range');
  const conditional = c.req.header('if-none-match') !== undefined || c.req.header('if-modified-since') !== undefined;

  // The common case — a plain segment GET — costs one store call; validators and ranges need the size first.
  if (method !== 'HEAD' && rangeHeader === undefined && !conditional) {
    const got = await objects.get(key);
    if (!got) return notFound(c);
    return respond(got.info, kind, 200, streamOf(got.body), got.info.size);
  }

  const info = await objects.head(key);
  if (!info) return notFound(c);
  if (notModified(c, info)) return new Response(null, { status: 304, headers: validators(info, kind) });

  const range = rangeHeader !== undefined && rangeStillValid(c, info) ? parseRange(rangeHeader, info.size) : undefined;
  if (range === 'unsatisfiable') {
    const headers = validators(info, kind);
    headers.set('Content-Range', `bytes */${info.size}`);
    headers.set('Content-Type', 'application/json');
    headers.set('Cache-Control', 'no-store');
    const body = JSON.stringify(errorBody('invalid_input', `the range is outside the file's ${info.size} bytes`));
    return new Response(body, { status: 416, headers });
  }
  if (method === 'HEAD') {
    return respond(info, kind, range ? 206 : 200, null, range ? range.end - range.start + 1 : info.size, range);
  }
  let got;
  try {
    got = await objects.get(key, range);
  } catch (error) {
    // The object shrank between head and get: the range no longer fits.
    if (isAppError(error) && error.code === 'invalid_input') return new Response(null, { status: 416 });
    throw error;
  }
  if (!got) return notFound(c);
  if (!range) return respond(got.info, kind, 200, streamOf(got.body), got.info.size);
  const end = Math.min(range.end, got.info.size - 1);
  return respond(got.info, kind, 206, streamOf(got.body), end - range.start + 1, { start: range.start, end });
}

/**
 * The file's chunks as a web stream, as they are: `Readable.toWeb` copies every Buffer into a new
 * Uint8Array (Node 20's adapter), which for a 4 MiB segment was a tenth of the edge's samples plus
 * the garbage it left. Cancelling (the viewer went away) destroys the file stream.
 */
function streamOf(body: Readable): ReadableStream {
  return (ReadableStream as unknown as WebStreamFrom).from(body);
}
/** Node ≥ 20.6 has `ReadableStream.from`; TypeScript's DOM library does not declare it yet. */
type WebStreamFrom = { from(source: AsyncIterable<Uint8Array>): ReadableStream };

const quotedEtag = (etag: string) => (etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`);

function validators(info: ObjectInfo, kind: { cache: string }): Headers {
  return new Headers({
    ETag: quotedEtag(info.etag),
    'Last-Modified': new Date(info.lastModified).toUTCString(),
    'Cache-Control': kind.cache,
  });
}

function respond(
  info: ObjectInfo,
  kind: { type: string; cache: string },
  status: 200 | 206,
  body: ReadableStream | null,
  length: number,
  range?: { start: number; end: number },
) {
  const headers = validators(info, kind);
  headers.set('Content-Type', kind.type);
  headers.set('Content-Length', String(length));
  headers.set('Accept-Ranges', 'bytes');
  if (range) headers.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
  return new Response(body, { status, headers });
}

const bareTag = (tag: string) => tag.trim().replace(/^W\//, '');

/** RFC 9110 §13.1.2/§13.1.3: If-None-Match (weak comparison) wins over If-Modified-Since. */
function notModified(c: Context, info: ObjectInfo): boolean {
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch !== undefined) {
    const etag = bareTag(quotedEtag(info.etag));
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bareTag(tag) === etag);
  }
  const since = Date.parse(c.req.header('if-modified-since') ?? '');
  return !Number.isNaN(since) && Math.floor(Date.parse(info.lastModified) / 1000) * 1000 <= since;
}

/** If-Range: serve the range only when the client's copy is the current one (strong ETag or date). */
function rangeStillValid(c: Context, info: ObjectInfo): boolean {
  const ifRange = c.req.header('if-range');
  if (ifRange === undefined) return true;
  const etag = quotedEtag(info.etag);
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return !etag.startsWith('W/') && ifRange === etag;
  const date = Date.parse(ifRange);
  return !Number.isNaN(date) && Math.floor(Date.parse(info.lastModified) / 1000) * 1000 <= date;
}
