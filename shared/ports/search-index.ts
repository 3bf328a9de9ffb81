export interface SearchDocument {
  id: string;
  title: string;
  description: string;
  cast: string[];
  genres: string[];
  [attribute: string]: unknown;
}

export interface SearchQuery {
  q: string;
  filters?: { cast?: string; genre?: string };
  page?: number;
  hitsPerPage?: number;
}

export interface SearchResult {
  hits: (SearchDocument & { _highlight: Record<string, string | string[]> })[];
  nbHits: number;
  page: number;
  nbPages: number;
  facets: Record<string, Record<string, number>>;
  processingTimeMs: number;
}

/** Algolia on AWS; MiniSearch with Japanese segmentation standalone. */
export interface SearchIndex {
  upsert(documents: SearchDocument[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
}
