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
