import { afterEach, describe, expect, test, vi } from 'vitest';
import { highlightParts, suggest } from './search';

describe('highlightParts', () => {
  test('splits marked runs and keeps everything else as text', () => {
    expect(highlightParts('<mark>Tokyo</mark> Night <mark>Drive</mark>')).toEqual([
      { text: 'Tokyo', marked: true },
      { text: ' Night ', marked: false },
      { text: 'Drive', marked: true },
    ]);
    expect(highlightParts('東京<mark>タワー</mark>の下で')).toEqual([
      { text: '東京', marked: false },
      { text: 'タワー', marked: true },
      { text: 'の下で', marked: false },
    ]);
    // An unclosed marker or markup in a title is text, never HTML.
    expect(highlightParts('a <mark>b')).toEqual([{ text: 'a <mark>b', marked: false }]);
    expect(highlightParts('<script>x</script>')).toEqual([{ text: '<script>x</script>', marked: false }]);
  });
});

describe('suggest', () => {
  afterEach(() => vi.unstubAllGlobals());

  const answer = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const hit = {
    title: 'Tokyo Night Drive',
    description: '',
    cast: ['Ken Watanabe'],
    genres: ['Drama'],
    priceJpy: 400,
    freePreview: false,
    publishedAt: '2026-01-01T00:00:00.000Z',
    _highlightResult: {
      title: { value: '<mark>Tokyo</mark> Night Drive', matchLevel: 'partial', matchedWords: ['tokyo'] },
      description: { value: '', matchLevel: 'none', matchedWords: [] },
      cast: [{ value: 'Ken Watanabe', matchLevel: 'none', matchedWords: [] }],
    },
  };

  test('on AWS asks Algolia directly with the secured key, and names hits by videoId', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      calls.push({ url, ...(init ? { init } : {}) });
      if (url === '/api/catalog/search/key') {
        return answer({
          provider: 'algolia',
          appId: 'APP1',
          indexName: 'kinema_videos',
          apiKey: 'secured',
          validUntil: Date.now() / 1000 + 3600,
        });
      }
      return answer({
        hits: [{ objectID: 'v1', ...hit }],
        nbHits: 1,
        page: 0,
        nbPages: 1,
        facets: {},
        processingTimeMS: 1,
      });
    });
    const result = await suggest('tok', new AbortController().signal);
    expect(result.hits[0]).toMatchObject({ videoId: 'v1', title: 'Tokyo Night Drive' });
    expect(calls[1]?.url).toBe('https://APP1-dsn.algolia.net/1/indexes/kinema_videos/query');
    expect(calls[1]?.init?.headers).toMatchObject({
      'x-algolia-api-key': 'secured',
      'x-algolia-application-id': 'APP1',
    });
    expect(JSON.parse(String(calls[1]?.init?.body))).toMatchObject({ query: 'tok', highlightPreTag: '<mark>' });
  });

  test('standalone (no key: 404) asks the catalog route, and a superseded request is cancelled', async () => {
    vi.resetModules();
    const fresh = await import('./search');
    const urls: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      urls.push(url);
      if (url === '/api/catalog/search/key') return answer({ error: { code: 'not_found', message: 'no' } }, 404);
      init?.signal?.throwIfAborted();
      return answer({
        hits: [{ videoId: 'v2', ...hit }],
        nbHits: 1,
        page: 0,
        nbPages: 1,
        facets: { cast: {}, genres: {} },
        processingTimeMs: 0,
      });
    });
    const superseded = new AbortController();
    superseded.abort();
    await expect(fresh.suggest('to', superseded.signal)).rejects.toThrow();
    const result = await fresh.suggest('tokyo', new AbortController().signal);
    expect(result.hits[0]?.videoId).toBe('v2');
    expect(urls.filter((url) => url.startsWith('/api/catalog/search?'))).toEqual([
      '/api/catalog/search?q=to&hitsPerPage=6',
      '/api/catalog/search?q=tokyo&hitsPerPage=6',
    ]);
  });
});
