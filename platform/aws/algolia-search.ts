import { algoliasearch } from 'algoliasearch';
import { FACETS, HIGHLIGHT } from '#shared/ports/search-index.js';
import type {
  Facet,
  Highlight,
  SearchDocument,
  SearchIndex,
  SearchKeys,
  SearchQuery,
} from '#shared/ports/search-index.js';

export type AlgoliaClient = ReturnType<typeof algoliasearch>;

/** An Algolia client for one application and key (the composition roots call it). */
export const algoliaClient = (appId: string, apiKey: string): AlgoliaClient => algoliasearch(appId, apiKey);

interface AlgoliaHighlight {
  value?: string;
  matchLevel?: Highlight['matchLevel'];
  matchedWords?: string[];
}

const toHighlight = (entry: AlgoliaHighlight | undefined, fallback: string): Highlight => ({
  value: entry?.value ?? fallback,
  matchLevel: entry?.matchLevel ?? 'none',
  matchedWords: entry?.matchedWords ?? [],
});

/** Algolia reads a leading `-` in a facet filter as negation; a value is escaped so it never is. */
const facetFilter = (facet: Facet, value: string) => `${facet}:${value.startsWith('-') ? `\\${value}` : value}`;

export interface AlgoliaSearchIndexOptions {
  client: AlgoliaClient;
  indexName: string;
}

/**
 * The SearchIndex on AWS: Algolia (settings in `#shared/search-settings.ts`, applied by infra).
 * Records are the port's SearchDocument as they are; results come back in the same shape as the
 * embedded engine's.
 */
export function algoliaSearchIndex({ client, indexName }: AlgoliaSearchIndexOptions): SearchIndex {
  return {
    async upsert(documents) {
      if (documents.length === 0) return;
      await client.saveObjects({ indexName, objects: documents as unknown as Record<string, unknown>[] });
    },

    async delete(objectIDs) {
      if (objectIDs.length === 0) return;
      await client.deleteObjects({ indexName, objectIDs });
    },

    async replaceAll(documents) {
      // Copies settings and replicas' link to a temporary index, fills it, then moves it over.
      await client.replaceAllObjects({ indexName, objects: documents as unknown as Record<string, unknown>[] });
    },

    async search(query: SearchQuery) {
      const facetFilters = FACETS.flatMap((facet) => {
        const values = query.filters[facet];
        return values && values.length > 0 ? [values.map((value) => facetFilter(facet, value))] : [];
      });
      const response = await client.searchSingleIndex<SearchDocument>({
        indexName,
        searchParams: {
          query: query.q,
          page: query.page,
          hitsPerPage: query.hitsPerPage,
          facets: [...FACETS],
          ...(facetFilters.length > 0 ? { facetFilters } : {}),
          highlightPreTag: HIGHLIGHT.pre,
          highlightPostTag: HIGHLIGHT.post,
        },
      });
      const facets = Object.fromEntries(FACETS.map((facet) => [facet, response.facets?.[facet] ?? {}])) as Record<
        Facet,
        Record<string, number>
      >;
      return {
        hits: response.hits.map((hit) => {
          const highlight = (hit._highlightResult ?? {}) as Record<string, AlgoliaHighlight | AlgoliaHighlight[]>;
          const cast = Array.isArray(highlight.cast) ? highlight.cast : [];
          return {
            objectID: hit.objectID,
            title: hit.title,
            description: hit.description,
            cast: hit.cast,
            genres: hit.genres,
            priceJpy: hit.priceJpy,
            freePreview: hit.freePreview,
            publishedAt: hit.publishedAt,
            publishedAtTs: hit.publishedAtTs,
            _highlightResult: {
              title: toHighlight(highlight.title as AlgoliaHighlight | undefined, hit.title),
              description: toHighlight(highlight.description as AlgoliaHighlight | undefined, hit.description),
              cast: hit.cast.map((name, index) => toHighlight(cast[index], name)),
            },
          };
        }),
        nbHits: response.nbHits ?? 0,
        page: response.page ?? query.page,
        nbPages: response.nbPages ?? 0,
        facets,
        processingTimeMs: response.processingTimeMS ?? 0,
      };
    },
  };
}

export interface AlgoliaSearchKeysOptions {
  client: AlgoliaClient;
  appId: string;
  /** The search-only key infra creates: the parent of every secured key. */
  searchApiKey: string;
  /** The index and its replicas the browser may query; nothing else. */
  indexNames: string[];
  primaryIndex: string;
  ttlSeconds?: number;
  now?: () => number;
}

/**
 * Secured search keys for browsers: derived (HMAC) from the search-only key, limited to the
 * videos' index and its replicas, expiring after an hour. The index holds published videos only.
 */
export function algoliaSearchKeys(options: AlgoliaSearchKeysOptions): SearchKeys {
  const now = options.now ?? Date.now;
  const ttl = options.ttlSeconds ?? 3600;
  return {
    async issue() {
      const validUntil = Math.floor(now() / 1000) + ttl;
      const apiKey = options.client.generateSecuredApiKey({
        parentApiKey: options.searchApiKey,
        restrictions: { validUntil, restrictIndices: options.indexNames },
      });
      return { appId: options.appId, indexName: options.primaryIndex, apiKey, validUntil };
    },
  };
}
