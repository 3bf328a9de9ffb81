import type { VideoSummary } from './types';

/**
 * "More like this", "up next" and the home page's genre rows, from one pool of published titles
 * (newest first). Pure: the page's load gathers the pool, access and positions.
 */

type Tagged = Pick<VideoSummary, 'videoId' | 'cast' | 'genres'>;

/** Shared cast weighs twice a shared genre: a performer is a stronger hint than a shelf. */
export function affinity(a: Tagged, b: Tagged): number {
  const cast = new Set(a.cast);
  const genres = new Set(a.genres);
  return 2 * b.cast.filter((name) => cast.has(name)).length + b.genres.filter((genre) => genres.has(genre)).length;
}

/** Titles sharing cast or a genre with `video`, closest first (ties: the pool's order, newest first). */
export function relatedTitles<V extends Tagged>(video: Tagged, pool: readonly V[], limit = 12): V[] {
  return pool
    .filter((other) => other.videoId !== video.videoId)
    .map((other, order) => ({ other, order, score: affinity(video, other) }))
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map((entry) => entry.other);
}

/**
 * The title offered when this one ends: related, never started by the viewer, and one they can
 * watch now before one they would have to buy. Null when every related title has been watched.
 */
export function upNext<V extends Tagged>(
  related: readonly V[],
  { canWatch, watched }: { canWatch: (videoId: string) => boolean; watched: ReadonlySet<string> },
): V | null {
  const fresh = related.filter((video) => !watched.has(video.videoId));
  return fresh.find((video) => canWatch(video.videoId)) ?? fresh[0] ?? null;
}

export interface GenreRow<V> {
  genre: string;
  videos: V[];
}

/** The home page's shelves: the genres with most titles first, each row newest first. */
export function genreRows<V extends Tagged>(pool: readonly V[], { rows = 6, perRow = 12, minTitles = 1 } = {}) {
  const byGenre = new Map<string, V[]>();
  for (const video of pool) {
    for (const genre of new Set(video.genres)) {
      const shelf = byGenre.get(genre) ?? [];
      shelf.push(video);
      byGenre.set(genre, shelf);
    }
  }
  return [...byGenre.entries()]
    .filter(([, videos]) => videos.length >= minTitles)
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, rows)
    .map(([genre, videos]): GenreRow<V> => ({ genre, videos: videos.slice(0, perRow) }));
}

/** The query of a search link for a genre or cast tag (`/search?<this>`). */
export function tagSearchQuery(kind: 'genre' | 'cast', value: string): string {
  return String(new URLSearchParams({ [kind]: value }));
}
