/** What a card or the detail page shows of a video: public fields only, never upload internals. */
export interface VideoSummary {
  videoId: string;
  title: string;
  description: string;
  cast: string[];
  genres: string[];
  priceJpy: number;
  freePreview: boolean;
  published: boolean;
  durationSeconds: number | null;
  posterKey: string | null;
}

export interface CatalogPage {
  items: VideoSummary[];
  nextCursor: string | null;
}
