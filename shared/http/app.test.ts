import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { createLogger } from '../log.js';
import { readJson, requestIdOf, serviceApp } from './app.js';

function app() {
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line) });
  const app = serviceApp({ logger });
  const Body = z.object({ title: z.string().min(1).max(200), priceJpy: z.number().int().nonnegative() });
  app.post('/videos', async (c) => c.json(await readJson(c, Body, 1024), 201));
  app.get('/missing', () => {
    throw notFound('video');
  });
  app.get('/boom', () => {
    throw new Error('secret internals');
  });
  return { app, lines };
}

const post = (body: string, type = 'application/json') =>
  app().app.request('/videos', { method: 'POST', body, headers: { 'content-type': type } });

describe('serviceApp', () => {
  it('accepts a valid body', async () => {
    const res = await post(JSON.stringify({ title: 'Tokyo Story', priceJpy: 400 }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ title: 'Tokyo Story', priceJpy: 400 });
  });

  it('answers malformed JSON with 400 invalid_input', async () => {
    const res = await post('{"title": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: 'the body is not valid JSON' } });
  });

  it('names each wrong field', async () => {
    const res = await post(JSON.stringify({ title: 7, priceJpy: -1 }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: { path: string }[] } };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.details.map((d) => d.path).sort()).toEqual(['priceJpy', 'title']);
  });

  it('refuses oversize bodies with 413 and other content types with 415', async () => {
    const big = await post(JSON.stringify({ title: 'x'.repeat(2000), priceJpy: 1 }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const text = await post('title=x', 'application/x-www-form-urlencoded');
    expect(text.status).toBe(415);
  });

  it('maps typed errors and unknown routes to JSON', async () => {
    const { app: a } = app();
    const missing = await a.request('/missing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'video not found' } });
    const route = await a.request('/nope');
    expect(route.status).toBe(404);
    expect(((await route.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('hides unknown errors behind 500 internal and logs them with the request id', async () => {
    const { app: a, lines } = app();
    const res = await a.request('/boom', { headers: { 'x-request-id': 'req-1' } });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('internal');
    expect(body.error.message).not.toContain('secret');
    expect(lines.some((line) => line.includes('req-1') && line.includes('secret internals'))).toBe(true);
  });

  it('echoes the X-Request-Id it keeps, and keeps exactly the ids requestIdOf keeps', async () => {
    const { app: a } = app();
    const fresh = await a.request('/missing');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    for (const sent of ['req-1', 'abc=_-09', 'has space', 'x'.repeat(256), 'x'.repeat(255), 'caf\u00e9', '']) {
      const res = await a.request('/missing', { headers: { 'x-request-id': sent } });
      const kept = res.headers.get('x-request-id') === sent;
      expect(kept, JSON.stringify(sent)).toBe(requestIdOf(sent) === sent);
    }
    expect(requestIdOf('req-1')).toBe('req-1');
    expect(requestIdOf('a b')).not.toBe('a b');
  });
});
