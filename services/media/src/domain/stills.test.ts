import { describe, expect, it } from 'vitest';
import { ladderFor } from './ladder.js';
import { stillSizes } from './stills.js';

describe('stillSizes', () => {
  it('takes the 720p rung for the poster and its candidates, the thumbnails, of a 1080p source', () => {
    expect(stillSizes(ladderFor({ width: 1920, height: 1080 }))).toEqual({
      poster: { width: 1280, height: 720 },
      thumbnail: { width: 1280, height: 720 },
    });
  });

  it('keeps a portrait source portrait, its long side at most 1280', () => {
    const { poster, thumbnail } = stillSizes(ladderFor({ width: 1080, height: 1920 }));
    expect(poster).toEqual({ width: 720, height: 1280 });
    expect(thumbnail.height).toBeGreaterThan(thumbnail.width);
  });

  it('never upscales a source smaller than the lowest rung', () => {
    expect(stillSizes(ladderFor({ width: 320, height: 180 }))).toEqual({
      poster: { width: 320, height: 180 },
      thumbnail: { width: 320, height: 180 },
    });
  });

  it('refuses an empty ladder', () => {
    expect(() => stillSizes([])).toThrow(/without renditions/);
  });
});
