import { beforeAll, describe, expect, it } from 'vitest';
import { HIGHLIGHT } from '#shared/ports/search-index.js';
import type { SearchQuery } from '#shared/ports/search-index.js';
import { RELEVANCE_CASES, relevanceDocuments } from '#test/support/search-relevance.js';
import { miniSearchIndex } from './search-minisearch.js';
import { fold, nameWords, words } from './search-tokenizer.js';

const query = (q: string, extra: Partial<SearchQuery> = {}): SearchQuery => ({
  q,
  filters: {},
  page: 0,
  hitsPerPage: 20,
  ...extra,
});

describe('search tokenizer', () => {
  it('folds width and case with NFKC', () => {
    expect(fold('ＴＯＫＹＯ ４Ｋ ﾗｰﾒﾝ')).toBe('tokyo 4k ラーメン');
  });

  it('cuts Japanese into words, drops particles and the loanword long-vowel mark', () => {
    expect(words('東京の夜に降る雨')).toEqual(['東京', '夜', '降る', '雨']);
    expect(words('コンピューター')).toEqual(words('コンピュータ'));
    expect(words('Tokyo ドリフト 2')).toEqual(['tokyo', 'ドリフト', '2']);
  });

  it('keeps a name also as one word without its spaces', () => {
    expect(nameWords('Ken Watanabe')).toEqual(['ken', 'watanabe', 'kenwatanabe']);
    expect(nameWords('新垣 結衣').at(-1)).toBe(nameWords('新垣結衣').at(-1));
  });
});

describe('miniSearchIndex relevance (Japanese and English)', () => {
  const index = miniSearchIndex();
  beforeAll(async () => {
    await index.replaceAll(relevanceDocuments());
  });

  it.each(RELEVANCE_CASES)('$relies: "$query" puts $top first and marks its $marks', async (testCase) => {
    const result = await index.search(query(testCase.query));
    expect(result.hits[0]?.objectID, JSON.stringify(result.hits.map((hit) => hit.objectID))).toBe(testCase.top);
    const marked = result.hits[0]?._highlightResult[testCase.marks];
    const values = Array.isArray(marked) ? marked.map((entry) => entry.value) : [marked?.value];
    expect(values.join(' ')).toContain(HIGHLIGHT.pre);
  });

  it('answers the empty query with the newest first, and counts facets', async () => {
    const result = await index.search(query('   '));
    expect(result.nbHits).toBe(relevanceDocuments().length);
    expect(result.hits[0]?.objectID).toBe('drift');
    expect(result.facets.genres.ドラマ).toBe(3);
    expect(result.hits[0]?._highlightResult.title).toEqual({
      value: 'Tokyo ドリフト 2',
      matchLevel: 'none',
      matchedWords: [],
    });
  });

  it('narrows by cast and genre (OR within a facet, AND across) and counts what remains', async () => {
    const result = await index.search(query('', { filters: { genres: ['SF', 'Mystery'] } }));
    expect(result.hits.map((hit) => hit.objectID).sort()).toEqual(['computer', 'detective', 'moon']);
    const both = await index.search(query('', { filters: { genres: ['SF'], cast: ['堺雅人'] } }));
    expect(both.hits.map((hit) => hit.objectID)).toEqual(['computer']);
    expect(both.facets).toEqual({ cast: { 堺雅人: 1 }, genres: { SF: 1 } });
    expect((await index.search(query('', { filters: { genres: ['no such genre'] } }))).nbHits).toBe(0);
  });

  it('pages', async () => {
    const first = await index.search(query('', { hitsPerPage: 4 }));
    const last = await index.search(query('', { hitsPerPage: 4, page: 3 }));
    expect(first.nbPages).toBe(4);
    expect(last.hits).toHaveLength(3);
    expect((await index.search(query('', { hitsPerPage: 4, page: 99 }))).hits).toEqual([]);
  });

  it('marks the words as written, with Algolia-shaped highlight entries', async () => {
    const result = await index.search(query('ＴＯＫＹＯ　ｎｉｇｈｔ'));
    expect(result.hits[0]?._highlightResult.title).toEqual({
      value: '<mark>Tokyo</mark> <mark>Night</mark> Drive',
      matchLevel: 'full',
      matchedWords: ['tokyo', 'night'],
    });
    const inner = await index.search(query('タワー'));
    expect(inner.hits[0]?._highlightResult.title.value).toBe('東京<mark>タワー</mark>の下で');
  });

  it('keeps updates and deletions current', async () => {
    const local = miniSearchIndex();
    await local.replaceAll(relevanceDocuments());
    const [whisper] = relevanceDocuments().filter((document) => document.objectID === 'whisper');
    await local.upsert([{ ...whisper!, title: 'Songs of Okinawa' }]);
    expect((await local.search(query('whisper'))).nbHits).toBe(0);
    expect((await local.search(query('okinawa songs'))).hits[0]?.objectID).toBe('whisper');
    await local.delete(['whisper', 'unknown-id']);
    expect((await local.search(query('okinawa'))).nbHits).toBe(0);
    expect(local.size()).toBe(relevanceDocuments().length - 1);
  });

  it('stays sensible on odd input', async () => {
    for (const q of [
      '🎬🍿',
      '\u0000\u0007',
      "'; DROP TABLE videos; --",
      '<script>alert(1)</script>',
      'x'.repeat(500),
    ]) {
      const result = await index.search(query(q));
      expect(result.page).toBe(0);
      expect(Array.isArray(result.hits)).toBe(true);
    }
  });
});
