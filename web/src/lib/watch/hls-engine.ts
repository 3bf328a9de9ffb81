import type Hls from 'hls.js';
import type { ErrorData, HlsConfig, LoaderConfig } from 'hls.js';
import { isEdgeRefusal } from './player';
import type { StopReason } from './player';

/**
 * What Kinema adds to hls.js (which `<hls-video>` runs): the CloudFront cookies travel with every
 * request, a 403 from the edge renews the cookies and retries, a media error is recovered once,
 * anything else fatal stops playback with its reason. Levels, the quality menu and ABR are the
 * element's and media-chrome's.
 */
export interface HlsEngineEvents {
  onLevelSwitched(level: number): void;
  onStop(reason: StopReason): void;
  /** New cookies now (the lease's renew): true when they are in place. */
  renew(): Promise<boolean>;
}

/** Two refusals within this window mean access is really gone, not that the cookies just lapsed. */
const REFUSAL_WINDOW_MS = 15_000;

/** The hls.js configuration: cookies on every request, edge refusals renewed, a resume position. */
export function hlsConfig(
  HlsClass: typeof Hls,
  renew: () => Promise<boolean>,
  startPosition: number | undefined,
): Partial<HlsConfig> {
  /**
   * hls.js does not retry a 4xx. A 403 from the edge usually means the cookies just lapsed (a
   * timer slept in a background tab): renew at once and let hls.js retry the same request twice.
   */
  function withEdgeRenewal(policy: LoaderConfig): LoaderConfig {
    const errorRetry = policy.errorRetry;
    if (!errorRetry) return policy;
    return {
      ...policy,
      errorRetry: {
        ...errorRetry,
        shouldRetry: (_config, retryCount, _isTimeout, response, retry) => {
          if (!isEdgeRefusal(response?.code)) return retry;
          if (retryCount === 0) void renew();
          return retryCount < 2;
        },
      },
    };
  }
  const defaults = HlsClass.DefaultConfig;
  return {
    xhrSetup: (xhr) => {
      xhr.withCredentials = true;
    },
    fetchSetup: (context, init) => new Request(context.url, { ...init, credentials: 'include' }),
    manifestLoadPolicy: { default: withEdgeRenewal(defaults.manifestLoadPolicy.default) },
    playlistLoadPolicy: { default: withEdgeRenewal(defaults.playlistLoadPolicy.default) },
    fragLoadPolicy: { default: withEdgeRenewal(defaults.fragLoadPolicy.default) },
    ...(startPosition !== undefined && startPosition > 0 ? { startPosition } : {}),
  };
}

/** Watches one hls.js instance; returns what stops watching it. */
export function watchHls(hls: Hls, HlsClass: typeof Hls, events: HlsEngineEvents): () => void {
  let stopped = false;
  let lastRefusalRenewal = 0;
  let recoveredMedia = false;

  async function onError(_event: unknown, data: ErrorData) {
    if (stopped) return;
    if (isEdgeRefusal(data.response?.code)) {
      if (Date.now() - lastRefusalRenewal < REFUSAL_WINDOW_MS) return events.onStop('forbidden');
      lastRefusalRenewal = Date.now();
      // A renewal refused by the API (402) stops playback through the lease with its reason.
      if ((await events.renew()) && !stopped) hls.startLoad();
      return;
    }
    if (!data.fatal) return;
    if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && !recoveredMedia) {
      recoveredMedia = true;
      hls.recoverMediaError();
      return;
    }
    events.onStop(data.type === HlsClass.ErrorTypes.NETWORK_ERROR ? 'unavailable' : 'media_error');
  }
  const onSwitched = (_event: unknown, data: { level: number }) => events.onLevelSwitched(data.level);
  const onErrorEvent = (event: unknown, data: ErrorData) => void onError(event, data);
  hls.on(HlsClass.Events.LEVEL_SWITCHED, onSwitched);
  hls.on(HlsClass.Events.ERROR, onErrorEvent);
  return () => {
    stopped = true;
    hls.off(HlsClass.Events.LEVEL_SWITCHED, onSwitched);
    hls.off(HlsClass.Events.ERROR, onErrorEvent);
  };
}
