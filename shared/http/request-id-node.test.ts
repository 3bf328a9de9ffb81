import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '#test/support/loopback.js';
import { notFound } from '../errors.js';
import { requestIdOf, serviceApp } from './app.js';

/**
 * The request id behind a real @hono/node-server, where it is set on Node's response rather than
 * through Hono's headers: echoed once on every answer (routes, errors, not found), the id the
 * handlers see, and kept or replaced by the same rule as everywhere else.
 */
const app = serviceApp();
app.get('/id', (c) => c.json({ id: c.get('requestId') }));
app.get('/cached', (c) => {
  c.header('Cache-Control', 'no-store');
  return c.json({ id: c.get('requestId') }, 200, { 'X-Extra': 'yes' });
});
app.get('/missing', () => {
  throw notFound('video');
});
app.get('/boom', () => {
  throw new Error('boom');
});

let served: Awaited<ReturnType<typeof serveOnLoopback>>;
let port = 0;
beforeAll(async () => {
  served = await serveOnLoopback(app.fetch);
  port = served.port;
});
afterAll(() => served.close());

function get(path: string, id?: string) {
  return new Promise<{ status: number; rawHeaders: string[]; body: string }>((resolve, reject) => {
    const headers = id === undefined ? {} : { 'x-request-id': id };
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const idsOf = (rawHeaders: string[]) =>
  rawHeaders.filter((_, i) => i % 2 === 1 && rawHeaders[i - 1]!.toLowerCase() === 'x-request-id');

describe('request id behind @hono/node-server', () => {
  it('echoes the id the handler sees, once', async () => {
    const res = await get('/id');
    const [id, ...more] = idsOf(res.rawHeaders);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(more).toEqual([]);
    expect(JSON.parse(res.body)).toEqual({ id });
  });

  it("keeps a caller's id by requestIdOf's rule and replaces one it refuses", async () => {
    for (const sent of ['req-1', 'abc=_-09', 'has space', 'x'.repeat(256), '']) {
      const res = await get('/id', sent);
      const [id] = idsOf(res.rawHeaders);
      expect(JSON.parse(res.body)).toEqual({ id });
      expect(id === sent, JSON.stringify(sent)).toBe(requestIdOf(sent) === sent);
    }
  });

  it('keeps the headers a route sets beside it', async () => {
    const res = await get('/cached', 'req-2');
    expect(idsOf(res.rawHeaders)).toEqual(['req-2']);
    const headers = Object.fromEntries(
      res.rawHeaders.flatMap((value, i) => (i % 2 === 0 ? [[value.toLowerCase(), res.rawHeaders[i + 1]]] : [])),
    );
    expect(headers).toMatchObject({
      'cache-control': 'no-store',
      'x-extra': 'yes',
      'content-type': 'application/json',
    });
  });

  it('echoes it on errors and on unknown routes too', async () => {
    for (const [path, status] of [
      ['/missing', 404],
      ['/boom', 500],
      ['/nowhere', 404],
    ] as const) {
      const res = await get(path, 'req-3');
      expect(res.status).toBe(status);
      expect(idsOf(res.rawHeaders)).toEqual(['req-3']);
    }
  });
});
