import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AppError, errorStatus } from '#shared/errors.js';
import { errorBody } from '#shared/http/app.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import { MULTIPART } from '#shared/ports/object-store.js';
import type { FileStore } from './file-store.js';
import { parseRange } from './http-range.js';

export interface FileStoreListenerOptions {
  /** Largest part body accepted (capped at S3's 5 GiB). */
  maxPartBytes?: number;
  /** Largest single-object PUT accepted (default and cap: S3's 5 GiB single PUT limit). */
  maxObjectBytes?: number;
  /** The one origin (e.g. the site's) allowed to use the URLs from a browser script. */
  allowedOrigin?: string;
  logger?: Logger;
}

/** Thrown for answers whose status the typed error codes have no name for (405, 411, 416). */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The local stand-in for S3's endpoint: a plain Node request handler for paths under
 * `store.pathPrefix`, mounted by the standalone server. It answers only presigned URLs (checked
 * by `store.verifyUrl`): PUT of a part (→ 200 + ETag) or of an object, GET/HEAD of an object with
 * single byte ranges. Bodies stream to disk; a dropped connection leaves no part behind.
 */
export function fileStoreListener(
  store: FileStore,
  options: FileStoreListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxPartBytes = Math.min(options.maxPartBytes ?? MULTIPART.maxPartSize, MULTIPART.maxPartSize);
  const maxObjectBytes = Math.min(options.maxObjectBytes ?? MULTIPART.maxPartSize, MULTIPART.maxPartSize);
  const logger = options.logger ?? silentLogger;

  const allowCors = (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (!options.allowedOrigin || origin !== options.allowedOrigin) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', 'ETag, Content-Length, Content-Range, Accept-Ranges');
    return true;
  };

  const sendError = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    let status: number;
    let code: string;
    let message: string;
    let headers: Record<string, string> = {};
    if (error instanceof AppError) {
      ({ status, code, message } = error);
    } else if (error instanceof HttpRefusal) {
      ({ status, code, message, headers } = error);
    } else {
      status = errorStatus.internal;
      code = 'internal';
      message = 'the store could not handle this request';
      logger.error('store request failed', { method: req.method, path: req.url?.split('?')[0], err: error });
    }
    const body = JSON.stringify(errorBody(code, message));
    // An unread request body would otherwise be drained to the end (up to gigabytes): close instead.
    if (!req.complete) res.setHeader('Connection', 'close');
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  };

  const contentLength = (req: IncomingMessage, max: number) => {
    const header = req.headers['content-length'];
    if (header === undefined) {
      // As S3: a PUT must say how long it is, so limits are checked before a byte is stored.
      throw new HttpRefusal(411, 'invalid_input', 'send a Content-Length header with the body');
    }
    if (!/^\d{1,16}$/.test(header)) throw new AppError('invalid_input', 'the Content-Length header is not a number');
    const length = Number(header);
    if (length > max) throw new AppError('payload_too_large', `the body may be at most ${max} bytes`);
    return length;
  };

  const receive = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const verified = store.verifyUrl('PUT', url);
    if (verified.kind === 'part') {
      const planned = verified.contentLength;
      const length = contentLength(req, Math.min(maxPartBytes, planned ?? maxPartBytes));
      if (planned !== undefined && length !== planned) {
        throw new AppError('invalid_input', `this part is planned as exactly ${planned} bytes; the body is ${length}`);
      }
      const part = await store.writePart(verified.key, verified.uploadId, verified.partNumber, req, length);
      res.writeHead(200, { ETag: part.etag, 'Content-Length': '0' });
      res.end();
      return;
    }
    contentLength(req, maxObjectBytes);
    const sent = req.headers['content-type']?.trim();
    if (verified.contentType !== undefined && sent?.toLowerCase() !== verified.contentType.toLowerCase()) {
      throw new AppError('forbidden', `this URL is signed for Content-Type ${verified.contentType}`);
    }
    const info = await store.put(verified.key, req, sent ? { contentType: sent } : {});
    res.writeHead(200, { ETag: info.etag, 'Content-Length': '0' });
    res.end();
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const verified = store.verifyUrl('GET', url);
    const head = await store.head(verified.key);
    if (!head) throw new AppError('not_found', `object ${verified.key} not found`);
    const range = parseRange(req.headers.range, head.size);
    if (range === 'unsatisfiable') {
      throw new HttpRefusal(416, 'invalid_input', `the range is outside the object's ${head.size} bytes`, {
        'Content-Range': `bytes */${head.size}`,
      });
    }
    const found = await store.get(verified.key, range);
    if (!found) throw new AppError('not_found', `object ${verified.key} not found`);
    const { info, body } = found;
    const end = range ? Math.min(range.end, info.size - 1) : info.size - 1;
    const start = range?.start ?? 0;
    res.writeHead(range ? 206 : 200, {
      'Content-Type': info.contentType ?? 'application/octet-stream',
      'Content-Length': String(Math.max(0, end - start + 1)),
      ETag: info.etag,
      'Last-Modified': new Date(info.lastModified).toUTCString(),
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'private, max-age=0',
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}),
    });
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      return;
    }
    try {
      await pipeline(body, res);
    } catch (error) {
      // The viewer went away mid-download: nothing to answer, nothing to clean.
      if (!res.destroyed && !req.destroyed) throw error;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://store.invalid');
    const cors = allowCors(req, res);
    if (req.method === 'OPTIONS') {
      if (!cors) throw new AppError('forbidden', 'cross-origin requests from this origin are not allowed');
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, HEAD, PUT',
        'Access-Control-Allow-Headers': 'Content-Type, Range',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      });
      res.end();
      return;
    }
    if (options.allowedOrigin) res.setHeader('Vary', 'Origin');
    if (req.method === 'PUT') return receive(req, res, url);
    if (req.method === 'GET' || req.method === 'HEAD') return serve(req, res, url);
    throw new HttpRefusal(405, 'invalid_input', `${req.method} is not supported here`, { Allow: 'GET, HEAD, PUT' });
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A client that hung up mid-body surfaces as a stream error; the store already dropped its temp file.
      if (req.socket?.destroyed !== false && !req.complete) {
        logger.debug('store request aborted by the client', { method: req.method, path: req.url?.split('?')[0] });
        res.destroy();
        return;
      }
      sendError(req, res, error);
    });
  };
}
