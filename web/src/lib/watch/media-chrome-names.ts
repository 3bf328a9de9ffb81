/**
 * Control names that contain what the control shows (WCAG 2.5.3, so voice control users can say
 * what they see), overriding media-chrome's own strings in both languages:
 * - the playback-rate button shows "1.5x" but was named "Playback rate 1.5" / "再生速度 1.5";
 * - the time display is a button showing "0:03 / 0:12" but was named "playback time" / "再生時間".
 *   A blank name lets the name come from what is shown (accname ignores an aria-label that is
 *   only whitespace; media-chrome's `t()` falls back to English for an empty string); the spoken
 *   phrase ("3 秒 / 12 秒") stays in its aria-description.
 * Found by the axe audit (test/e2e/a11y.e2e.ts, view `viewer-playing`).
 */
export const visibleLabelNames: Record<'en' | 'ja', Record<string, string>> = {
  en: {
    'Playback rate {playbackRate}': 'Playback rate {playbackRate}x',
    'playback time': ' ',
  },
  ja: {
    'Playback rate {playbackRate}': '再生速度 {playbackRate}x',
    'playback time': ' ',
  },
};
