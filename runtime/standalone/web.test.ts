import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '#shared/log.js';
import { loadWeb } from './web.js';

/** A stand-in for web/build/handler.js that counts its evaluations and answers with its path. */
const HANDLER = `
globalThis.__webEvaluations = (globalThis.__webEvaluations ?? 0) + 1;
await new Promise((resolve) => setTimeout(resolve, 50)); // adapter-node's handler awaits server.init
export const handler = (req, res, next) => {
  if (req.url === '/missing') return next();
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('page ' + req.url + ' ' + process.env.KINEMA_TEST_ORIGIN);
};
`;

const evaluations = () => (globalThis as { __webEvaluations?: number }).__webEvaluations ?? 0;

describe('the web handler', () => {
  let dir: string;
  let server: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-web-'));
  });
  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(file: string) {
    const web = loadWeb({ KINEMA_TEST_ORIGIN: 'http://example.test' }, silentLogger, file);
    server = createServer((req, res) => web.handler(req, res));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async (path: string) => {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, body: await res.text() };
    };
  }

  it('imports the build on the first page request only, once for concurrent first requests', async () => {
    const file = join(dir, 'handler.js');
    writeFileSync(file, HANDLER);
    const before = evaluations();
    const get = await serve(file);
    expect(evaluations()).toBe(before); // nothing imported at start
    const pages = await Promise.all(['/a', '/b', '/c'].map(get));
    expect(pages).toEqual(
      ['/a', '/b', '/c'].map((path) => ({ status: 200, body: `page ${path} http://example.test` })),
    );
    expect(evaluations()).toBe(before + 1);
    expect(await get('/missing')).toMatchObject({ status: 404 });
    expect(JSON.parse((await get('/missing')).body)).toEqual({
      error: { code: 'not_found', message: 'no page at /missing' },
    });
  });

  it('answers 500 JSON when the build cannot be loaded, and tries again on the next request', async () => {
    const file = join(dir, 'broken.js');
    writeFileSync(file, 'export const handler = ;');
    const get = await serve(file);
    const failed = await get('/');
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toMatchObject({ error: { code: 'internal' } });
    // Node caches a failed module by URL; a retry still answers cleanly rather than hanging.
    expect((await get('/')).status).toBe(500);
  });

  it('answers 503 with how to build when there is no build', async () => {
    const get = await serve(join(dir, 'absent.js'));
    const page = await get('/');
    expect(page.status).toBe(503);
    expect(JSON.parse(page.body)).toMatchObject({ error: { code: 'unavailable' } });
  });
});
