import { z } from 'zod';

/**
 * The named states the services' HTTP answers carry, declared once: for the service that owns each
 * (which may re-export it) and for the web, which reads them over HTTP and must not re-declare them.
 * Shapes stay with their owners; only these closed lists are shared.
 */

/** A catalog video's lifecycle (`GET /api/catalog/videos…` → `status`). */
export const VideoStatus = z.enum(['draft', 'uploading', 'processing', 'ready', 'failed']);
export type VideoStatus = z.infer<typeof VideoStatus>;

/** Where the media pipeline is with a video (`GET /api/media/videos/:id` → `state`). */
export const MediaState = z.enum(['waiting', 'processing', 'ready', 'failed']);
export type MediaState = z.infer<typeof MediaState>;

/** A monthly plan as the account shows it (`GET /api/entitlement/me` → `subscription.status`). */
export const SubscriptionStatus = z.enum(['active', 'cancelled', 'past_due', 'ended']);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

/** Why a viewer may or may not watch a title (`POST /api/entitlement/access` → `reason`). */
export const AccessReason = z.enum([
  'admin',
  'free_preview',
  'subscription',
  'rental',
  'not_entitled',
  'not_published',
  'not_found',
]);
export type AccessReason = z.infer<typeof AccessReason>;

/**
 * One word's highlight, as Algolia answers it (`<mark>` around matches) — the same on both
 * runtimes, so the catalog's search route and the web share this one declaration.
 */
export const SearchHighlight = z.object({
  value: z.string(),
  matchLevel: z.string(),
  matchedWords: z.array(z.string()),
});

/** One hit of `GET /api/catalog/search` (or of Algolia's browser query, same shape). */
export const SearchHit = z.object({
  videoId: z.string(),
  title: z.string(),
  description: z.string(),
  cast: z.array(z.string()),
  genres: z.array(z.string()),
  priceJpy: z.number(),
  freePreview: z.boolean(),
  publishedAt: z.string(),
  _highlightResult: z.object({
    title: SearchHighlight,
    description: SearchHighlight,
    cast: z.array(SearchHighlight),
  }),
});
export type SearchHit = z.infer<typeof SearchHit>;

/** One email of the standalone outbox (`GET /api/notification/outbox`; the `.eml` files). */
export const OutboxEntry = z.object({
  id: z.string(),
  messageId: z.string(),
  to: z.string(),
  subject: z.string(),
  date: z.string(),
  text: z.string(),
  file: z.string(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;
