import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '#test/support/loopback.js';
import { z } from 'zod';
import { readJson, serviceApp } from './app.js';

/**
 * `jsonBody` behind a real @hono/node-server: a body sent with Content-Length is judged by the
 * header (and read by the server's direct path), a chunked one by counting its bytes; the answers
 * are the same either way.
 */
const app = serviceApp();
app.post('/echo', async (c) => c.json(await readJson(c, z.object({ n: z.number() }), 1024)));

let served: Awaited<ReturnType<typeof serveOnLoopback>>;
let port = 0;
beforeAll(async () => {
  served = await serveOnLoopback(app.fetch);
  port = served.port;
});
afterAll(() => served.close());

function post(body: string, chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!chunked) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (chunked) {
      // Two writes without a length: Node sends Transfer-Encoding: chunked.
      req.write(body.slice(0, 3));
      req.end(body.slice(3));
    } else req.end(body);
  });
}

describe('jsonBody over HTTP', () => {
  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'with Content-Length';
    it(`reads a JSON body sent ${how}`, async () => {
      expect(await post('{"n": 7}', chunked)).toEqual({ status: 200, body: '{"n":7}' });
    });
    it(`refuses a body over the limit sent ${how} with 413`, async () => {
      const res = await post(JSON.stringify({ n: 1, pad: 'x'.repeat(2000) }), chunked);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    });
    it(`answers bytes that are not JSON sent ${how} with 400`, async () => {
      const res = await post('{"n": ', chunked);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'invalid_input', message: 'the body is not valid JSON' } });
    });
  }
});
