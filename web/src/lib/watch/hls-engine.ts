import type Hls from 'hls.js';
import type { ErrorData, Level, LoaderConfig } from 'hls.js';
import { isEdgeRefusal } from './player';
import type { StopReason } from './player';

/**
 * hls.js wired for Kinema's media edge: the CloudFront cookies travel with every request, a 403
 * from the edge renews the cookies and retries, a media error is recovered once, anything else
 * fatal stops playback with its reason. The player component only sees levels and a stop.
 */
export interface HlsEngineEvents {
  /** The manifest is parsed: these are the levels, playback may start. */
  onReady(levels: readonly Level[]): void;
  onLevelSwitched(level: number): void;
  onStop(reason: StopReason): void;
  /** New cookies now (the lease's renew): true when they are in place. */
  renew(): Promise<boolean>;
}

export interface HlsEngine {
  /** -1 hands the choice back to hls.js's bandwidth estimate (Auto). */
  setLevel(level: number): void;
  destroy(): void;
}

/** Two refusals within this window mean access is really gone, not that the cookies just lapsed. */
const REFUSAL_WINDOW_MS = 15_000;

export function startHlsEngine(
  HlsClass: typeof Hls,
  video: HTMLVideoElement,
  manifestUrl: string,
  events: HlsEngineEvents,
): HlsEngine {
  let destroyed = false;
  let lastRefusalRenewal = 0;
  let recoveredMedia = false;

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
          if (retryCount === 0) void events.renew();
          return retryCount < 2;
        },
      },
    };
  }

  const defaults = HlsClass.DefaultConfig;
  const hls = new HlsClass({
    // The CloudFront cookies must travel with every playlist and segment request.
    xhrSetup: (xhr) => {
      xhr.withCredentials = true;
    },
    fetchSetup: (context, init) => new Request(context.url, { ...init, credentials: 'include' }),
    manifestLoadPolicy: { default: withEdgeRenewal(defaults.manifestLoadPolicy.default) },
    playlistLoadPolicy: { default: withEdgeRenewal(defaults.playlistLoadPolicy.default) },
    fragLoadPolicy: { default: withEdgeRenewal(defaults.fragLoadPolicy.default) },
  });

  async function onError(data: ErrorData) {
    if (destroyed) return;
    if (isEdgeRefusal(data.response?.code)) {
      if (Date.now() - lastRefusalRenewal < REFUSAL_WINDOW_MS) return events.onStop('forbidden');
      lastRefusalRenewal = Date.now();
      // A renewal refused by the API (402) stops playback through the lease with its reason.
      if ((await events.renew()) && !destroyed) hls.startLoad();
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

  hls.on(HlsClass.Events.MANIFEST_PARSED, (_event, data) => events.onReady(data.levels));
  hls.on(HlsClass.Events.LEVEL_SWITCHED, (_event, data) => events.onLevelSwitched(data.level));
  hls.on(HlsClass.Events.ERROR, (_event, data) => void onError(data));
  hls.loadSource(manifestUrl);
  hls.attachMedia(video);

  return {
    setLevel(level) {
      hls.currentLevel = level;
    },
    destroy() {
      destroyed = true;
      hls.destroy();
    },
  };
}
