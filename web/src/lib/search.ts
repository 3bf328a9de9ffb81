import { z } from 'zod';
import { SearchHit } from '#shared/responses.js';

/**
 * Search in the browser and on the server: the result shape of `GET /api/catalog/search` (the
 * same on both runtimes), the highlight splitter, and the as-you-type client.
 */
export { SearchHit };

export const SearchAnswer = z.object({
  hits: z.array(SearchHit),
  nbHits: z.number(),
  page: z.number(),
  nbPages: z.number(),
  facets: z.object({
    cast: z.record(z.string(), z.number()).default({}),
    genres: z.record(z.string(), z.number()).default({}),
  }),
  processingTimeMs: z.number(),
});
export type SearchAnswer = z.infer<typeof SearchAnswer>;

const PRE = '<mark>';
const POST = '</mark>';

/** Splits a highlighted value into plain and marked runs (rendered as text: nothing is HTML). */
export function highlightParts(value: string): { text: string; marked: boolean }[] {
  const parts: { text: string; marked: boolean }[] = [];
  let rest = value;
  while (rest.length > 0) {
    const start = rest.indexOf(PRE);
    const end = start < 0 ? -1 : rest.indexOf(POST, start + PRE.length);
    if (start < 0 || end < 0) {
      parts.push({ text: rest, marked: false });
      break;
    }
    if (start > 0) parts.push({ text: rest.slice(0, start), marked: false });
    parts.push({ text: rest.slice(start + PRE.length, end), marked: true });
    rest = rest.slice(end + POST.length);
  }
  return parts;
}

/** The first marked cast name of a hit, if the query matched a performer. */
export const matchedCast = (hit: SearchHit) => hit._highlightResult.cast.find((name) => name.matchLevel !== 'none');

const SearchKey = z.object({ appId: z.string(), indexName: z.string(), apiKey: z.string(), validUntil: z.number() });
type Backend = { kind: 'api' } | ({ kind: 'algolia' } & z.infer<typeof SearchKey>);
let backend: Promise<Backend> | undefined;

/**
 * Where the browser searches: on AWS the catalog hands out a secured, search-only Algolia key and
 * the browser asks Algolia directly; standalone (404) it asks the catalog's own search route.
 */
function searchBackend(): Promise<Backend> {
  backend ??= fetch('/api/catalog/search/key', { headers: { accept: 'application/json' } })
    .then(async (response) => {
      const key = response.ok ? SearchKey.safeParse(await response.json()) : undefined;
      return key?.success ? { kind: 'algolia' as const, ...key.data } : { kind: 'api' as const };
    })
    .catch(() => ({ kind: 'api' as const }));
  return backend;
}

/** The first few hits for what is typed; `signal` cancels a superseded request. */
export async function suggest(q: string, signal: AbortSignal, hitsPerPage = 6): Promise<SearchAnswer> {
  const where = await searchBackend();
  if (where.kind === 'algolia' && where.validUntil * 1000 > Date.now() + 60_000) {
    const response = await fetch(`https://${where.appId}-dsn.algolia.net/1/indexes/${where.indexName}/query`, {
      method: 'POST',
      signal,
      headers: { 'x-algolia-application-id': where.appId, 'x-algolia-api-key': where.apiKey },
      body: JSON.stringify({
        query: q,
        hitsPerPage,
        facets: ['cast', 'genres'],
        highlightPreTag: PRE,
        highlightPostTag: POST,
      }),
    });
    const body = (await response.json()) as { hits: { objectID: string }[]; processingTimeMS?: number };
    return SearchAnswer.parse({
      ...body,
      hits: body.hits.map(({ objectID, ...hit }) => ({ videoId: objectID, ...hit })),
      processingTimeMs: body.processingTimeMS ?? 0,
    });
  }
  if (where.kind === 'algolia') backend = undefined; // the key is about to expire: fetch a new one next time
  const query = new URLSearchParams({ q, hitsPerPage: String(hitsPerPage) });
  const response = await fetch(`/api/catalog/search?${query}`, { signal, headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`search answered ${response.status}`);
  return SearchAnswer.parse(await response.json());
}
