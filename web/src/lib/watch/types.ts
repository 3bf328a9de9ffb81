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

/**
 * Whether this person can press Play now, and why. The entitlement issue answers it with
 * `POST /api/entitlement/access` (plan, rental with its expiry, or Buy); the shape stays.
 */
export type AccessReason = 'admin' | 'free_preview' | 'signin_required' | 'payment_required';
export interface Access {
  canWatch: boolean;
  reason: AccessReason;
  expiresAt: string | null;
}
