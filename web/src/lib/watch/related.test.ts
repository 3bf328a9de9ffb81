import { describe, expect, it } from 'vitest';
import { affinity, genreRows, relatedTitles, tagSearchQuery, upNext } from './related';
import { resumeFrom, watchedPercent } from './resume';

const v = (videoId: string, cast: string[], genres: string[]) => ({ videoId, cast, genres });
const pool = [
  v('new-drama', ['A'], ['drama']),
  v('same-cast', ['X'], ['comedy']),
  v('both', ['X'], ['drama']),
  v('other', ['Z'], ['horror']),
  v('self', ['X'], ['drama']),
  v('old-drama', [], ['drama']),
];
const self = pool[4]!;

describe('related titles', () => {
  it('ranks shared cast above a shared genre, newest first among equals, never itself', () => {
    expect(affinity(self, pool[2]!)).toBe(3);
    expect(relatedTitles(self, pool).map((video) => video.videoId)).toEqual([
      'both',
      'same-cast',
      'new-drama',
      'old-drama',
    ]);
    expect(relatedTitles(self, pool, 2)).toHaveLength(2);
  });

  it('offers next an unwatched title the viewer can watch, before one to buy', () => {
    const related = relatedTitles(self, pool);
    const canWatch = (id: string) => id === 'new-drama' || id === 'both';
    expect(upNext(related, { canWatch, watched: new Set() })?.videoId).toBe('both');
    expect(upNext(related, { canWatch, watched: new Set(['both']) })?.videoId).toBe('new-drama');
    // Nothing watchable left: the closest unwatched one (its card offers to rent).
    expect(upNext(related, { canWatch, watched: new Set(['both', 'new-drama']) })?.videoId).toBe('same-cast');
    expect(upNext(related, { canWatch, watched: new Set(related.map((video) => video.videoId)) })).toBeNull();
  });

  it('shelves the pool by genre, fullest genre first', () => {
    const rows = genreRows(pool, { rows: 2 });
    expect(rows.map((row) => row.genre)).toEqual(['drama', 'comedy']);
    expect(rows[0]!.videos.map((video) => video.videoId)).toEqual(['new-drama', 'both', 'self', 'old-drama']);
  });

  it('links tags to search, encoded', () => {
    expect(tagSearchQuery('cast', '山田 太郎')).toBe('cast=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E');
    expect(tagSearchQuery('genre', 'a&b')).toBe('genre=a%26b');
  });
});

describe('resume', () => {
  it('starts where the viewer left, from the start when finished or barely begun', () => {
    expect(resumeFrom(null)).toBe(0);
    expect(resumeFrom({ positionSeconds: 42, durationSeconds: 100, finished: false })).toBe(42);
    expect(resumeFrom({ positionSeconds: 99, durationSeconds: 100, finished: true })).toBe(0);
    expect(resumeFrom({ positionSeconds: 2, durationSeconds: 100, finished: false })).toBe(0);
    expect(resumeFrom({ positionSeconds: 10, durationSeconds: 10.5, finished: false })).toBe(9.5);
    expect(watchedPercent({ positionSeconds: 25, durationSeconds: 100 })).toBe(25);
    expect(watchedPercent({ positionSeconds: 5, durationSeconds: 0 })).toBe(0);
  });
});
