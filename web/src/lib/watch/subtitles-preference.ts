/**
 * The viewer's subtitles choice, kept in localStorage across titles and visits: a language
 * (`ja`, `en`, …) or `off`. Saved only when the viewer chose (media-chrome's captions menu or the
 * `c` key), applied whenever the stream exposes subtitle tracks (hls.js adds them from the master
 * playlist's `EXT-X-MEDIA TYPE=SUBTITLES`).
 */
export const SUBTITLES_KEY = 'kinema.subtitles';
/** The media-chrome requests that mean "the viewer chose". */
export const SUBTITLE_REQUESTS = [
  'mediashowsubtitlesrequest',
  'mediadisablesubtitlesrequest',
  'mediatogglesubtitlesrequest',
];

const isText = (track: TextTrack) => track.kind === 'subtitles' || track.kind === 'captions';

interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked (private mode, policy)
  }
}

/** What is showing now: a language (or label when a track has none), or `off`. */
export function currentChoice(tracks: ArrayLike<TextTrack>): string {
  const showing = Array.from(tracks).find((track) => isText(track) && track.mode === 'showing');
  return showing ? showing.language || showing.label || 'on' : 'off';
}

/** Applies a saved choice to these tracks; returns whether anything matched. */
export function applyChoice(tracks: ArrayLike<TextTrack>, choice: string | null): boolean {
  if (!choice) return false;
  const text = Array.from(tracks).filter(isText);
  if (text.length === 0) return false;
  if (choice === 'off') {
    for (const track of text) if (track.mode === 'showing') track.mode = 'disabled';
    return true;
  }
  const base = choice.split('-')[0]!.toLowerCase();
  const wanted =
    text.find((track) => track.language === choice || track.label === choice) ??
    text.find((track) => track.language.toLowerCase().split('-')[0] === base);
  if (!wanted) return false;
  for (const track of text) if (track !== wanted && track.mode === 'showing') track.mode = 'disabled';
  wanted.mode = 'showing';
  return true;
}

/** Saves what is showing now (call after the viewer's request has been applied). */
export function rememberSubtitles(tracks: ArrayLike<TextTrack>, store: Storage | null = storage()): void {
  if (!Array.from(tracks).some(isText)) return;
  try {
    store?.setItem(SUBTITLES_KEY, currentChoice(tracks));
  } catch {
    // quota or policy: the choice lasts for this page only
  }
}

/** Applies the saved choice now and to tracks added later; returns what stops watching. */
export function restoreSubtitles(tracks: TextTrackList, store: Storage | null = storage()): () => void {
  const choice = (() => {
    try {
      return store?.getItem(SUBTITLES_KEY) ?? null;
    } catch {
      return null;
    }
  })();
  if (!choice) return () => undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // hls.js sets the playlist's default track's mode right after adding it: apply ours after that.
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => applyChoice(tracks, choice), 0);
  };
  tracks.addEventListener('addtrack', later);
  later();
  return () => {
    clearTimeout(timer);
    tracks.removeEventListener('addtrack', later);
  };
}
