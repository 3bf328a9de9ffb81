import type { Locale } from '$lib/paraglide/runtime.js';

/** A running time as a clock reads it: 1:52:07, 8:05, 0:07. */
export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** A price in yen, the way each language writes it (¥500 / ￥500). */
export function formatPrice(lang: Locale, yen: number): string {
  return new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    style: 'currency',
    currency: 'JPY',
    currencyDisplay: 'narrowSymbol',
    maximumFractionDigits: 0,
  }).format(yen);
}

/**
 * The poster's public URL (posters need no cookies), or null when the pipeline made none yet.
 * The catalog keeps the object key; the edge serves it under /media.
 */
export function posterUrl(video: { videoId: string; posterKey?: string | null }): string | null {
  if (!video.posterKey) return null;
  return `/media/videos/${encodeURIComponent(video.videoId)}/poster.jpg`;
}

/** A stable hue per title, so fallback art differs from card to card but never between renders. */
export function titleHue(title: string): number {
  let hash = 0;
  for (const char of title) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}
