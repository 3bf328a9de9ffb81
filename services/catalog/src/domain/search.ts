import { z } from 'zod';
import type { SearchDocument, SearchQuery, SearchResult } from '#shared/ports/search-index.js';
import type { Video } from './video.js';

/** Longest query accepted (Algolia's own limit is 512 characters). */
export const MAX_QUERY_CHARS = 512;
export const MAX_HITS_PER_PAGE = 100;
/** Deepest page (Algolia serves at most 1,000 hits by default). */
export const MAX_PAGE = 1000;

/** Control characters become spaces; whitespace runs collapse; NFC as the catalog stores text. */
const Words = z
  .string()
  .transform((value) =>
    value
      .replace(/\p{Cc}/gu, ' ')
      .normalize('NFC')
      .replace(/\s+/gu, ' ')
      .trim(),
  )
  .pipe(z.string().max(MAX_QUERY_CHARS, `the query may be at most ${MAX_QUERY_CHARS} characters`));

const FacetValues = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .pipe(
    z
      .array(z.string().trim().min(1, 'may not be empty').max(100, 'at most 100 characters'))
      .max(10, 'at most 10 values'),
  );

/** `GET /api/catalog/search` parameters; `cast` and `genre` may repeat (alternatives). */
export const SearchParams = z.object({
  q: Words.default(''),
  cast: FacetValues.optional(),
  genre: FacetValues.optional(),
  page: z.coerce.number().int('a whole page number').min(0, 'pages start at 0').max(MAX_PAGE).default(0),
  hitsPerPage: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_HITS_PER_PAGE, `at most ${MAX_HITS_PER_PAGE} hits per page`)
    .default(20),
});
export type SearchParams = z.infer<typeof SearchParams>;

export function searchQuery(params: SearchParams): SearchQuery {
  return {
    q: params.q,
    filters: {
      ...(params.cast ? { cast: params.cast } : {}),
      ...(params.genre ? { genres: params.genre } : {}),
    },
    page: params.page,
    hitsPerPage: params.hitsPerPage,
  };
}

/** What search holds of a video: only a published one has a document at all. */
export function searchDocument(video: Video): SearchDocument | undefined {
  if (!video.published || !video.publishedAt) return undefined;
  return {
    objectID: video.videoId,
    title: video.title,
    description: video.description,
    cast: video.cast,
    genres: video.genres,
    priceJpy: video.priceJpy,
    freePreview: video.freePreview,
    publishedAt: video.publishedAt,
    publishedAtTs: Math.floor(Date.parse(video.publishedAt) / 1000),
  };
}

/** The public answer: each hit names its video as `videoId` (the catalog's word) besides `objectID`. */
export function searchResponse(result: SearchResult) {
  return {
    ...result,
    hits: result.hits.map(({ objectID, ...hit }) => ({ videoId: objectID, ...hit })),
  };
}
