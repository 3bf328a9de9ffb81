import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VideoInput } from '#services/catalog/src/domain/video.js';
import type { OpenApiDocument } from '#shared/http/openapi.js';
import { MULTIPART } from '#shared/ports/object-store.js';
import { expectValidOpenApi31 } from '#test/support/openapi.js';
import { API_SERVICES, describedApi, ROUTES_END, ROUTES_START, routeTables } from './api-document.js';
import { apiDocs } from './api-docs.js';

/** The three services whose routes exist today; engagement and notification mount empty apps. */
const DESCRIBED = ['catalog', 'entitlement', 'media'] as const;

describe('the API description', () => {
  // The five apps composed as runtime/standalone/server.ts composes them, with the docs app at /api.
  const { api, apps, close } = describedApi();
  afterAll(close);

  const merged = async () => {
    const response = await api.request('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return (await response.json()) as OpenApiDocument;
  };

  it('is one valid OpenAPI 3.1 document', async () => {
    const document = await merged();
    expectValidOpenApi31(document);
    expect(document.info.title).toBe('Kinema API');
    expect(document.tags?.map((tag) => tag.name)).toEqual([...API_SERVICES]);
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('lists every route each service answers, and nothing it does not', async () => {
    const document = await merged();
    for (const name of DESCRIBED) {
      // Hono's own route table: a route added without createRoute would be missing from the document.
      const answered = apps[name].routes
        .filter((route) => route.method !== 'ALL' && route.path !== '/openapi.json')
        .map((route) => `${route.method.toLowerCase()} /api/${name}${route.path.replace(/:(\w+)/g, '{$1}')}`);
      const described = Object.entries(document.paths ?? {})
        .filter(([path]) => path.startsWith(`/api/${name}/`))
        .flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method} ${path}`));
      expect(answered.length).toBeGreaterThan(1);
      expect(new Set(described)).toEqual(new Set(answered));
    }
  });

  it('carries the schemas the routes parse with', async () => {
    const document = await merged();
    const operation = (path: string, method: string) => {
      const item = (document.paths ?? {})[path] as Record<string, Operation> | undefined;
      const found = item?.[method];
      if (!found) throw new Error(`${method} ${path} is not described`);
      return found;
    };
    const bodyOf = (path: string, method: string) =>
      operation(path, method).requestBody?.content?.['application/json']?.schema;

    const create = bodyOf('/api/catalog/videos', 'post');
    const parsedWith = z.toJSONSchema(VideoInput, { io: 'input' }) as JsonSchema;
    expect(Object.keys(create?.properties ?? {}).sort()).toEqual(Object.keys(VideoInput.shape).sort());
    expect(create?.required?.sort()).toEqual(parsedWith.required?.sort());
    expect(create?.properties?.title).toMatchObject({ type: 'string' });
    expect(bodyOf('/api/catalog/videos/{id}/upload/complete', 'post')?.properties?.parts).toMatchObject({
      type: 'array',
      maxItems: MULTIPART.maxParts,
    });
    expect(bodyOf('/api/entitlement/access', 'post')?.properties?.videoIds).toMatchObject({ maxItems: 100 });
    expect(bodyOf('/api/entitlement/checkout', 'post')?.oneOf).toHaveLength(2);

    const list = operation('/api/catalog/videos', 'get').parameters ?? [];
    expect(list.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['query:cursor', 'query:limit']);
    expect(list.find((p) => p.name === 'limit')?.schema).toMatchObject({ minimum: 1, maximum: 100, default: 24 });
    const playback = operation('/api/entitlement/playback/{videoId}', 'post');
    expect(playback.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'videoId', required: true })]);
    expect(Object.keys(playback.responses)).toEqual(expect.arrayContaining(['200', '401', '402']));
    // Errors are described once, as the contract's body.
    expect(operation('/api/catalog/videos', 'post').responses['415']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
  });

  it('keeps the error contract for what the validators refuse', async () => {
    const bad = await api.request('/api/catalog/videos?limit=0');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'invalid_input', details: [expect.objectContaining({ path: 'limit' })] },
    });
    const badId = await api.request('/api/media/videos/NOT%20AN%20ID');
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { error: { message: string } }).error.message).toMatch(/^id: /);
    const notJson = await api.request('/api/entitlement/access', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"videoIds": [',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: 'invalid_input', message: 'the body is not valid JSON' } });
  });

  it('serves the reference page with its script from this server, not a CDN', async () => {
    const page = await api.request('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script src="/api/docs/scalar.js">');
    expect(html).toContain('/api/openapi.json');
    expect(html).not.toMatch(/https?:\/\//);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(policy).toContain("connect-src 'self'");

    const script = await api.request('/api/docs/scalar.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-encoding')).toBe('gzip');
    const source = gunzipSync(Buffer.from(await script.arrayBuffer())).toString('utf8');
    expect(source).toContain('createApiReference');
    const plain = await api.request('/api/docs/scalar.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect((await plain.text()).length).toBe(source.length);
    const again = await api.request('/api/docs/scalar.js', {
      headers: { 'if-none-match': script.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('is what docs/api.md lists, route for route', async () => {
    const page = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const listed = page.slice(page.indexOf(ROUTES_START) + ROUTES_START.length, page.indexOf(ROUTES_END));
    const document = await merged();
    // Stale? Run `node --import tsx scripts/api-reference.ts` and commit docs/api.md.
    expect(listed.trim()).toBe(routeTables(document).trim());
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const method of Object.keys(item as object)) expect(listed).toContain(`\`${method.toUpperCase()} ${path}\``);
    }
  });

  it('answers 503 when a mounted service does not describe itself', async () => {
    const docs = apiDocs({ services: ['catalog', 'ghost'], request: (path) => api.request(path) });
    const response = await docs.request('/openapi.json');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: { code: 'unavailable', message: expect.stringContaining('ghost') },
    });
  });
});

interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface JsonSchema {
  required?: string[];
  properties?: Record<string, unknown>;
  oneOf?: unknown[];
}
