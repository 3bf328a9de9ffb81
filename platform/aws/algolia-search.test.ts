import { algoliasearch } from 'algoliasearch';
import { describe, expect, it } from 'vitest';
import { ALGOLIA_INDEX_SETTINGS, algoliaIndexNames } from '#shared/search-settings.js';
import type { Behaviour } from '#test/support/search-relevance.js';
import { RELEVANCE_CASES, relevanceDocuments } from '#test/support/search-relevance.js';
import { algoliaSearchIndex, algoliaSearchKeys } from './algolia-search.js';

interface Sent {
  method: string;
  url: URL;
  body: unknown;
}

/**
 * An Algolia client whose transport records each request and answers with a response of the shape
 * Algolia's REST API documents (recorded from its reference), by method + path.
 */
function recordedClient(answer: (sent: Sent) => unknown) {
  const sent: Sent[] = [];
  const client = algoliasearch('KINEMA1APP', 'admin-key-not-a-secret', {
    requester: {
      async send(request) {
        const entry = {
          method: request.method,
          url: new URL(request.url),
          body: request.data ? (JSON.parse(Buffer.from(request.data).toString('utf8')) as unknown) : undefined,
        };
        sent.push(entry);
        return { status: 200, isTimedOut: false, content: JSON.stringify(answer(entry)) };
      },
    },
  });
  return { client, sent };
}

const names = algoliaIndexNames('prod');
const documents = relevanceDocuments();
const byId = new Map(documents.map((document) => [document.objectID, document]));

/** A search response as Algolia sends it for a query whose hits are `ids`, in that order. */
function searchResponse(ids: string[], query: string) {
  return {
    hits: ids.map((id) => {
      const document = byId.get(id)!;
      return {
        ...document,
        _highlightResult: {
          title: {
            value: `<mark>${document.title}</mark>`,
            matchLevel: 'full',
            fullyHighlighted: true,
            matchedWords: [query],
          },
          description: { value: document.description, matchLevel: 'none', matchedWords: [] },
          cast: document.cast.map((name) => ({ value: name, matchLevel: 'none', matchedWords: [] })),
        },
      };
    }),
    nbHits: ids.length,
    page: 0,
    nbPages: 1,
    hitsPerPage: 20,
    facets: { genres: { Drama: 1 } },
    exhaustiveNbHits: true,
    exhaustive: { nbHits: true, typo: true },
    query,
    params: `query=${encodeURIComponent(query)}`,
    processingTimeMS: 2,
  };
}

/** What each behaviour of the relevance suite needs from the index settings. */
const PROVIDES: Record<Behaviour, (settings: typeof ALGOLIA_INDEX_SETTINGS) => boolean> = {
  exact: (s) => s.searchableAttributes.length === 3,
  partial: (s) => s.indexLanguages.includes('ja') && s.searchableAttributes.every((a) => a.startsWith('unordered(')),
  prefix: (s) => s.queryType === 'prefixLast',
  typo: (s) => s.typoTolerance === true && s.minWordSizefor1Typo <= 4 && s.minWordSizefor2Typos <= 8,
  cast: (s) => s.searchableAttributes.includes('unordered(cast)'),
  // Algolia splits and concatenates words (up to two) and segments Japanese for indexLanguages ja.
  'name-without-space': (s) => s.indexLanguages.includes('ja') && s.queryLanguages.includes('en'),
  description: (s) => s.searchableAttributes.includes('unordered(description)'),
  // Algolia folds width and case itself (its normalisation covers full-width and half-width kana).
  'width-folding': (s) => s.queryLanguages.includes('ja'),
  katakana: (s) => s.indexLanguages.includes('ja') && s.typoTolerance === true,
  'mixed-scripts': (s) => s.queryLanguages.join() === 'ja,en',
  'field-order': (s) => s.searchableAttributes.join() === 'unordered(title),unordered(cast),unordered(description)',
};

describe('algoliaSearchIndex (recorded shapes)', () => {
  it.each(RELEVANCE_CASES)('$relies: "$query" — the settings provide it and the answer maps', async (testCase) => {
    expect(PROVIDES[testCase.relies](ALGOLIA_INDEX_SETTINGS)).toBe(true);
    const { client, sent } = recordedClient((request) =>
      searchResponse([testCase.top], (request.body as { query: string }).query),
    );
    const result = await algoliaSearchIndex({ client, indexName: names.primary }).search({
      q: testCase.query,
      filters: {},
      page: 0,
      hitsPerPage: 20,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.url.pathname).toBe(`/1/indexes/${names.primary}/query`);
    // The query goes as typed: Algolia folds and segments it with the index's languages.
    expect(sent[0]?.body).toMatchObject({ query: testCase.query, facets: ['cast', 'genres'] });
    expect(result.hits[0]?.objectID).toBe(testCase.top);
  });

  it('maps a response to the port shape (highlights, facets, timing)', async () => {
    const { client } = recordedClient(() => searchResponse(['tokyo-night'], 'tokyo'));
    const result = await algoliaSearchIndex({ client, indexName: names.primary }).search({
      q: 'tokyo',
      filters: {},
      page: 0,
      hitsPerPage: 20,
    });
    expect(result).toEqual({
      hits: [
        {
          ...byId.get('tokyo-night'),
          _highlightResult: {
            title: { value: '<mark>Tokyo Night Drive</mark>', matchLevel: 'full', matchedWords: ['tokyo'] },
            description: { value: byId.get('tokyo-night')!.description, matchLevel: 'none', matchedWords: [] },
            cast: [{ value: 'Ken Watanabe', matchLevel: 'none', matchedWords: [] }],
          },
        },
      ],
      nbHits: 1,
      page: 0,
      nbPages: 1,
      facets: { cast: {}, genres: { Drama: 1 } },
      processingTimeMs: 2,
    });
  });

  it('sends facet filters as OR within a facet, AND across, never as a negation', async () => {
    const { client, sent } = recordedClient(() => searchResponse([], ''));
    await algoliaSearchIndex({ client, indexName: names.primary }).search({
      q: '',
      filters: { cast: ['Ken Watanabe', '-Evil'], genres: ['Drama'] },
      page: 2,
      hitsPerPage: 10,
    });
    expect(sent[0]?.body).toMatchObject({
      query: '',
      page: 2,
      hitsPerPage: 10,
      facetFilters: [['cast:Ken Watanabe', 'cast:\\-Evil'], ['genres:Drama']],
      highlightPreTag: '<mark>',
      highlightPostTag: '</mark>',
    });
  });

  it('writes records with batch add/delete', async () => {
    const { client, sent } = recordedClient((request) =>
      request.url.pathname.endsWith('/batch') ? { taskID: 42, objectIDs: ['tokyo-night'] } : {},
    );
    const index = algoliaSearchIndex({ client, indexName: names.primary });
    await index.upsert([byId.get('tokyo-night')!]);
    await index.delete(['tokyo-night']);
    await index.upsert([]);
    expect(sent.map((request) => `${request.method} ${request.url.pathname}`)).toEqual([
      `POST /1/indexes/${names.primary}/batch`,
      `POST /1/indexes/${names.primary}/batch`,
    ]);
    expect(sent[0]?.body).toEqual({ requests: [{ action: 'addObject', body: byId.get('tokyo-night') }] });
    expect(sent[1]?.body).toEqual({ requests: [{ action: 'deleteObject', body: { objectID: 'tokyo-night' } }] });
  });
});

describe('algoliaSearchKeys', () => {
  it('derives an hour-long key limited to the videos index and its replica', async () => {
    const { client, sent } = recordedClient(() => ({}));
    const keys = algoliaSearchKeys({
      client,
      appId: 'KINEMA1APP',
      searchApiKey: 'search-only-parent',
      indexNames: [names.primary, names.newest],
      primaryIndex: names.primary,
      now: () => Date.parse('2026-11-30T00:00:00Z'),
    });
    const key = await keys.issue();
    expect(sent).toHaveLength(0); // derived locally (HMAC), no call to Algolia
    expect(key).toMatchObject({ appId: 'KINEMA1APP', indexName: names.primary, validUntil: 1795996800 + 3600 });
    const decoded = Buffer.from(key.apiKey, 'base64').toString('utf8');
    expect(decoded).toMatch(/^[0-9a-f]{64}/);
    const params = new URLSearchParams(decoded.slice(64));
    expect(params.get('validUntil')).toBe(String(key.validUntil));
    expect(params.get('restrictIndices')).toBe(`${names.primary},${names.newest}`);
  });
});
