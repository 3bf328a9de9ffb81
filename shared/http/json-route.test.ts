import { createRoute } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { invalidInputFrom, serviceApp } from './app.js';
import { errors, JSON_BODY_ERRORS, jsonRequest, ok } from './openapi.js';

/**
 * A required JSON body is checked by the route's own step rather than by @hono/zod-openapi's
 * validators; a route with its own hook still goes through @hono/zod-openapi. Both must answer
 * every request alike and be described alike.
 */
const Body = z.object({ title: z.string().min(1).max(20), tags: z.array(z.string()).max(2).default([]) });
const Params = z.object({ id: z.string().regex(/^[a-z]+$/, 'lower-case letters') });
const Query = z.object({ dry: z.enum(['yes', 'no']).optional() });

const route = (path: string) =>
  createRoute({
    method: 'post',
    path,
    request: { params: Params, query: Query, body: jsonRequest(Body) },
    responses: { 200: ok('the body as parsed'), ...errors(...JSON_BODY_ERRORS) },
  });

const app = serviceApp({ maxJsonBytes: 200 });
app.openapi(route('/fast/{id}'), (c) => c.json({ id: c.req.valid('param').id, body: c.req.valid('json') }));
// A hook of its own (the same as the app's default) keeps the route on @hono/zod-openapi's validators.
app.openapi(
  route('/library/{id}'),
  (c) => c.json({ id: c.req.valid('param').id, body: c.req.valid('json') }),
  (result) => {
    if (!result.success) throw invalidInputFrom(result.error, (result as { data?: unknown }).data);
    return undefined;
  },
);

const cases: { name: string; path?: string; type?: string; body?: string }[] = [
  { name: 'valid', body: '{"title":"Tokyo"}' },
  { name: 'valid with a charset', type: 'application/json; charset=utf-8', body: '{"title":"Tokyo"}' },
  { name: 'upper-case type', type: 'APPLICATION/JSON', body: '{"title":"Tokyo"}' },
  { name: 'json-seq type', type: 'application/json-seq', body: '{"title":"Tokyo"}' },
  { name: 'bare parameter', type: 'application/json; charset', body: '{"title":"Tokyo"}' },
  { name: 'space before parameter', type: 'application/json ;charset=utf-8', body: '{"title":"Tokyo"}' },
  { name: 'text type', type: 'text/plain', body: '{"title":"Tokyo"}' },
  { name: 'problem+json type', type: 'application/problem+json', body: '{"title":"Tokyo"}' },
  { name: 'no type', type: '', body: '{"title":"Tokyo"}' },
  { name: 'not JSON', body: '{"title":' },
  { name: 'empty body', body: '' },
  { name: 'too large', body: JSON.stringify({ title: 'x'.repeat(300) }) },
  { name: 'wrong shape', body: '{"title":"","tags":["a","b","c"]}' },
  { name: 'not an object', body: '[1,2]' },
  { name: 'null', body: 'null' },
  { name: 'bad id and bad body', path: 'BAD', body: '{"title":""}' },
  { name: 'bad query and bad body', path: 'abc?dry=maybe', body: '{"title":""}' },
  { name: 'bad id, not JSON', path: 'BAD', body: '{' },
  { name: 'bad id, text type', path: 'BAD', type: 'text/plain', body: '{}' },
  { name: 'bad id, json-seq type', path: 'BAD', type: 'application/json-seq', body: '{}' },
];

async function answer(prefix: string, test: (typeof cases)[number]) {
  const headers: Record<string, string> = {};
  if (test.type !== '') headers['content-type'] = test.type ?? 'application/json';
  const res = await app.request(`/${prefix}/${test.path ?? 'abc'}`, { method: 'POST', headers, body: test.body });
  return { status: res.status, body: await res.text() };
}

describe('a required JSON body checked by the route', () => {
  it.each(cases)('answers like @hono/zod-openapi: $name', async (test) => {
    const fast = await answer('fast', test);
    expect(fast).toEqual(await answer('library', test));
    if (test.name === 'valid') expect(JSON.parse(fast.body)).toEqual({ id: 'abc', body: { title: 'Tokyo', tags: [] } });
  });

  it('is described exactly as @hono/zod-openapi describes it', () => {
    const { paths } = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    expect(paths?.['/fast/{id}']).toEqual(paths?.['/library/{id}']);
    expect(paths?.['/fast/{id}']?.post?.requestBody).toBeDefined();
  });
});
