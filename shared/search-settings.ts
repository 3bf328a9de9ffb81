import { FACETS, HIGHLIGHT } from './ports/search-index.js';

/**
 * The Algolia index settings (AWS), in one place: infra applies them through its dynamic resource
 * and the adapter's tests check that they give each relevance case what it relies on. They mirror
 * the embedded engine's behaviour: title > cast > description, word position ignored
 * (`unordered`), Japanese and English word segmentation, a typo in words of 4+ letters and two in
 * 8+, the last word matched as a prefix, newest first among equals and for the empty query.
 */
export const ALGOLIA_INDEX_SETTINGS = {
  searchableAttributes: ['unordered(title)', 'unordered(cast)', 'unordered(description)'],
  attributesForFaceting: FACETS.map((facet) => `searchable(${facet})`),
  indexLanguages: ['ja', 'en'],
  queryLanguages: ['ja', 'en'],
  typoTolerance: true,
  minWordSizefor1Typo: 4,
  minWordSizefor2Typos: 8,
  queryType: 'prefixLast',
  customRanking: ['desc(publishedAtTs)'],
  attributesToHighlight: ['title', 'cast', 'description'],
  highlightPreTag: HIGHLIGHT.pre,
  highlightPostTag: HIGHLIGHT.post,
  paginationLimitedTo: 1000,
  maxValuesPerFacet: 100,
} as const;

/** The replica that sorts by publication, newest first (a standard replica: its own ranking). */
export const ALGOLIA_NEWEST_REPLICA_SETTINGS = {
  ranking: ['desc(publishedAtTs)', 'typo', 'words', 'proximity', 'attribute', 'exact', 'custom'],
} as const;

/** The index names of one environment: `<prefix>_videos` and its newest-first replica. */
export function algoliaIndexNames(prefix: string) {
  const primary = `${prefix}_videos`;
  return { primary, newest: `${primary}_newest` };
}
