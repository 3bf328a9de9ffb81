import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { notFound } from '#shared/errors.js';
import { invalidInputFrom } from '#shared/http/app.js';
import type { AppEnv } from '#shared/http/app.js';
import { errors } from '#shared/http/openapi.js';
import type { SearchIndex, SearchKeys } from '#shared/ports/search-index.js';
import { searchQuery, SearchParams, searchResponse } from './domain/search.js';
import { SearchHit } from '#shared/responses.js';

const SearchAnswer = z.object({
  hits: z.array(SearchHit),
  nbHits: z.number(),
  page: z.number(),
  nbPages: z.number(),
  facets: z.object({ cast: z.record(z.string(), z.number()), genres: z.record(z.string(), z.number()) }),
  processingTimeMs: z.number(),
});

const SearchKey = z.object({
  provider: z.literal('algolia'),
  appId: z.string(),
  indexName: z.string(),
  apiKey: z.string(),
  validUntil: z.number(),
});

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

const searchRoute = createRoute({
  method: 'get',
  path: '/search',
  summary: 'Free-word search over the published videos (title > cast > description)',
  request: { query: SearchParams },
  responses: {
    200: json(SearchAnswer, 'ranked hits with highlights and facet counts'),
    ...errors('invalid_input'),
  },
});

const keyRoute = createRoute({
  method: 'get',
  path: '/search/key',
  summary: 'A short-lived, search-only key for querying the search engine from the browser (AWS)',
  responses: { 200: json(SearchKey, 'the secured key'), ...errors('not_found') },
});

export interface SearchHttpDeps {
  index: SearchIndex;
  /** AWS: the secured Algolia key the browser queries with; absent standalone. */
  keys?: SearchKeys;
}

/**
 * The catalog's search routes: `GET /search` answers from the SearchIndex (which only ever holds
 * published videos) in Algolia's result shape; `GET /search/key` hands browsers a secured key.
 */
export function createSearchApp(deps: SearchHttpDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidInputFrom(result.error, (result as { data?: unknown }).data);
    },
  });

  app.openapi(searchRoute, async (c) => {
    const result = await deps.index.search(searchQuery(c.req.valid('query')));
    c.header('cache-control', 'no-store');
    return c.json(searchResponse(result), 200);
  });

  app.openapi(keyRoute, async (c) => {
    if (!deps.keys) throw notFound('a browser search key (standalone search is served at /api/catalog/search)');
    c.header('cache-control', 'private, no-store');
    return c.json({ provider: 'algolia' as const, ...(await deps.keys.issue()) }, 200);
  });

  return app;
}
