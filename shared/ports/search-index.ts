/**
 * What the index holds of one published video: the searchable text, the facets and what a result
 * card shows. `objectID` is the video id (Algolia's name for the record key, so both adapters
 * store the same record).
 */
export interface SearchDocument {
  objectID: string;
  title: string;
  description: string;
  cast: string[];
  genres: string[];
  priceJpy: number;
  freePreview: boolean;
  /** ISO time of publication: the order of the empty query ("newest first"). */
  publishedAt: string;
  /** Seconds since the epoch, for Algolia's numeric ranking of the same order. */
  publishedAtTs: number;
}

/** Attributes that can narrow a search; the facet counts come back under the same names. */
export const FACETS = ['cast', 'genres'] as const;
export type Facet = (typeof FACETS)[number];

/** The highlight markers around each matched word (the same on both adapters). */
export const HIGHLIGHT = { pre: '<mark>', post: '</mark>' } as const;

export interface SearchQuery {
  /** Free words, already trimmed; empty means "the newest published videos". */
  q: string;
  /** Values within one facet are alternatives (OR); facets combine with AND. */
  filters: Partial<Record<Facet, string[]>>;
  /** Zero-based, as in Algolia. */
  page: number;
  hitsPerPage: number;
}

/** Algolia's `_highlightResult` entry: the value with HIGHLIGHT markers around matched words. */
export interface Highlight {
  value: string;
  matchLevel: 'none' | 'partial' | 'full';
  matchedWords: string[];
}

export interface HighlightResult {
  title: Highlight;
  description: Highlight;
  cast: Highlight[];
}

export type SearchHit = SearchDocument & { _highlightResult: HighlightResult };

export interface SearchResult {
  hits: SearchHit[];
  nbHits: number;
  page: number;
  nbPages: number;
  /** Counts of each facet value among all hits of the query and filters. */
  facets: Record<Facet, Record<string, number>>;
  processingTimeMs: number;
}

/**
 * The search engine: Algolia on AWS, an embedded engine (MiniSearch with Japanese word
 * segmentation) standalone. Both rank title > cast > description, match the word being typed as a
 * prefix, tolerate typos in Latin words and highlight with HIGHLIGHT.
 */
export interface SearchIndex {
  /** Adds or replaces documents by objectID. */
  upsert(documents: SearchDocument[]): Promise<void>;
  /** Removes documents; unknown ids are ignored. */
  delete(objectIDs: string[]): Promise<void>;
  /** Makes the index hold exactly these documents (the rebuild from the catalog). */
  replaceAll(documents: SearchDocument[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
}

/** A short-lived key that may only search the published videos' index (the browser's, on AWS). */
export interface SearchKey {
  appId: string;
  indexName: string;
  apiKey: string;
  /** Seconds since the epoch. */
  validUntil: number;
}

export interface SearchKeys {
  issue(): Promise<SearchKey>;
}
