import { mediaChromeJa } from './media-chrome-ja';
import { visibleLabelNames } from './media-chrome-names';

let loading: Promise<void> | undefined;

/**
 * Defines media-chrome's and hls-video-element's custom elements, in the browser only (they touch
 * `customElements` and `HTMLElement` at import, which SSR has not): the player calls this before it
 * renders its controller. The Japanese names are registered first, so controls built afterwards
 * read them; the controller's `lang` attribute picks the language.
 */
export function loadMediaChrome(): Promise<void> {
  loading ??= (async () => {
    const [{ addTranslation }, { En }] = await Promise.all([
      import('media-chrome/utils/i18n.js'),
      import('media-chrome/lang/en.js'),
    ]);
    addTranslation('en', { ...En, ...visibleLabelNames.en });
    addTranslation('ja', { ...mediaChromeJa, ...visibleLabelNames.ja });
    await Promise.all([import('media-chrome'), import('media-chrome/menu'), import('hls-video-element')]);
  })().catch((error: unknown) => {
    loading = undefined; // a failed download (offline a moment) is tried again at the next Play
    throw error;
  });
  return loading;
}

/** Whether this browser plays HLS itself and should (Safari: AirPlay, lower power, its own ABR). */
export function prefersNativeHls(video: HTMLVideoElement): boolean {
  const apple = 'WebKitPlaybackTargetAvailabilityEvent' in globalThis;
  return apple && video.canPlayType('application/vnd.apple.mpegurl') !== '';
}
