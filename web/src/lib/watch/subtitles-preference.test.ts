import { describe, expect, test } from 'vitest';
import { applyChoice, currentChoice, rememberSubtitles, restoreSubtitles, SUBTITLES_KEY } from './subtitles-preference';

const track = (kind: string, language: string, mode: TextTrackMode = 'disabled') =>
  ({ kind, language, label: language.toUpperCase(), mode }) as TextTrack;

function memory() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => items.set(key, value),
    items,
  };
}

/** A TextTrackList stand-in: array-like, and an EventTarget for `addtrack`. */
function trackList(tracks: TextTrack[]) {
  const list = Object.assign(new EventTarget(), { length: tracks.length }) as unknown as TextTrackList &
    Record<number, TextTrack>;
  tracks.forEach((item, index) => (list[index] = item));
  return {
    list,
    add(item: TextTrack) {
      (list as unknown as Record<number, TextTrack>)[tracks.length] = item;
      tracks.push(item);
      (list as unknown as { length: number }).length = tracks.length;
      list.dispatchEvent(new Event('addtrack'));
    },
  };
}

describe('subtitles preference', () => {
  test('remembers the language showing, or off; thumbnails metadata tracks do not count', () => {
    const store = memory();
    const thumbnails = track('metadata', '', 'hidden');
    rememberSubtitles([thumbnails], store);
    expect(store.items.size).toBe(0);
    rememberSubtitles([thumbnails, track('subtitles', 'ja', 'showing'), track('subtitles', 'en')], store);
    expect(store.items.get(SUBTITLES_KEY)).toBe('ja');
    rememberSubtitles([track('subtitles', 'ja'), track('subtitles', 'en')], store);
    expect(store.items.get(SUBTITLES_KEY)).toBe('off');
  });

  test('applies a language (by its base), turning the others off; off turns everything off', () => {
    const ja = track('subtitles', 'ja-JP', 'showing');
    const en = track('captions', 'en');
    expect(applyChoice([ja, en], 'en-US')).toBe(true);
    expect([ja.mode, en.mode]).toEqual(['disabled', 'showing']);
    expect(currentChoice([ja, en])).toBe('en');
    expect(applyChoice([ja, en], 'off')).toBe(true);
    expect(currentChoice([ja, en])).toBe('off');
    expect(applyChoice([ja, en], 'fr')).toBe(false);
    expect(applyChoice([], 'ja')).toBe(false);
  });

  test('a saved choice reaches tracks the stream adds later (after hls.js sets its default)', async () => {
    const store = memory();
    store.setItem(SUBTITLES_KEY, 'off');
    const { list, add } = trackList([]);
    const stop = restoreSubtitles(list, store);
    const ja = track('subtitles', 'ja', 'showing'); // the playlist's DEFAULT=YES track
    add(ja);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ja.mode).toBe('disabled');
    stop();
  });
});
