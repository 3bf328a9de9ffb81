import { createRoute } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectValidOpenApi31 } from '#test/support/openapi.js';
import { serviceApp } from './app.js';
import { bearer, errors, jsonRequest, mergeDocuments, ok } from './openapi.js';
import type { OpenApiDocument } from './openapi.js';

const documentOf = async (app: ReturnType<typeof serviceApp>) =>
  (await (await app.request('/openapi.json')).json()) as OpenApiDocument;

/** A service as another team would write one: its own named schema, a route with params and a body. */
function likesApp(countSchema: z.ZodType) {
  const app = serviceApp({ title: 'likes' });
  app.openapi(
    createRoute({
      method: 'put',
      path: '/videos/{id}/like',
      security: bearer,
      request: { params: z.object({ id: z.string() }), body: jsonRequest(z.object({ liked: z.boolean() })) },
      responses: {
        200: { description: 'the count', content: { 'application/json': { schema: countSchema } } },
        ...errors('unauthorized'),
      },
    }),
    (c) => c.json({ count: 1 }, 200),
  );
  return app;
}

describe('mergeDocuments', () => {
  it('mounts each service under /api/<name>, tags and names its operations', async () => {
    const Count = z.object({ count: z.number().int() }).meta({ id: 'Count' });
    const merged = mergeDocuments([{ name: 'engagement', document: await documentOf(likesApp(Count)) }], {
      title: 'all',
      version: '1',
    });
    expectValidOpenApi31(merged);
    const operation = merged.paths?.['/api/engagement/videos/{id}/like']?.put;
    expect(operation).toMatchObject({
      tags: ['engagement'],
      operationId: 'engagement.putVideosIdLike',
      security: [{ bearerAuth: [] }],
      requestBody: { content: { 'application/json': { schema: { properties: { liked: { type: 'boolean' } } } } } },
    });
    expect(merged.components?.schemas?.Count).toBeDefined();
  });

  it('keeps identical components once and renames a clashing one in its own service only', async () => {
    const first = await documentOf(likesApp(z.object({ count: z.number() }).meta({ id: 'Count' })));
    const second = await documentOf(likesApp(z.object({ count: z.string() }).meta({ id: 'Count' })));
    const merged = mergeDocuments(
      [
        { name: 'a', document: first },
        { name: 'b', document: second },
      ],
      { title: 'all', version: '1' },
    );
    expectValidOpenApi31(merged);
    const schemas = merged.components?.schemas ?? {};
    expect(schemas.Count).toMatchObject({ properties: { count: { type: 'number' } } });
    expect(schemas['b.Count']).toMatchObject({ properties: { count: { type: 'string' } } });
    const responseOf = (service: string) =>
      (merged.paths?.[`/api/${service}/videos/{id}/like`]?.put?.responses as Record<string, { content: unknown }>)[
        '200'
      ]?.content;
    expect(responseOf('a')).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Count' } } });
    expect(responseOf('b')).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/b.Count' } } });
    // The shared ones (the error body, the bearer scheme) are not duplicated.
    expect(Object.keys(schemas).sort()).toEqual(['Count', 'Error', 'FieldError', 'b.Count']);
    expect(Object.keys(merged.components?.securitySchemes ?? {})).toEqual(['bearerAuth']);
  });

  it('refuses two services describing the same path', async () => {
    const document = await documentOf(likesApp(z.object({ count: z.number() })));
    expect(() =>
      mergeDocuments(
        [
          { name: 'x', document },
          { name: 'x', document },
        ],
        { title: 'all', version: '1' },
      ),
    ).toThrow(/two services describe \/api\/x\/videos\/\{id\}\/like/);
  });

  it('merges a service with no routes yet', async () => {
    const merged = mergeDocuments([{ name: 'notification', document: await documentOf(serviceApp()) }], {
      title: 'all',
      version: '1',
    });
    expectValidOpenApi31(merged);
    expect(merged.paths).toEqual({});
    expect(merged.tags).toEqual([{ name: 'notification' }]);
  });

  it('reads a declared JSON body as readJson does, without the route asking', async () => {
    const app = likesApp(z.object({ count: z.number() }));
    const put = (body: string, type = 'application/json') =>
      app.request('/videos/v1/like', { method: 'PUT', headers: { 'content-type': type }, body });
    const broken = await put('{"liked": tru');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: { code: 'invalid_input', message: 'the body is not valid JSON' } });
    const form = await put('liked=true', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    const huge = await put(JSON.stringify({ liked: true, pad: 'x'.repeat(70 * 1024) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    expect((await put('{"liked": true}')).status).toBe(200);
  });

  it('describes routes as the validator parses them: a failure is the contract 400', async () => {
    const app = likesApp(z.object({ count: z.number() }));
    const response = await app.request('/videos/v1/like', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ liked: 'yes' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 'invalid_input',
        message: expect.stringMatching(/^liked: /),
        details: [expect.objectContaining({ path: 'liked' })],
        fields: [expect.objectContaining({ path: 'liked', code: 'wrong_type' })],
      },
    });
  });
});

it('ok() describes a success in words', () => {
  expect(ok('the count')).toEqual({ description: 'the count' });
});
