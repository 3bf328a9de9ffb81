/**
 * The player's rules, kept free of the DOM and of hls.js so they can be unit-tested: asking for
 * playback (the title's signed cookies), renewing that grant before the cookies expire, and the
 * the name of a quality level. Player.svelte wires these to media-chrome and `<hls-video>`.
 */

/** Why playback stopped or could not start; each has its own message (`watch.stop.<reason>`). */
export const STOP_REASONS = [
  'signin_required',
  'payment_required',
  'rental_expired',
  'forbidden',
  'not_available',
  'unavailable',
  'media_error',
  'unsupported',
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** The player's life: `idle` → `loading` → `playing` → `stopped` (access ended or an error). */
export type PlayerPhase = 'idle' | 'loading' | 'playing' | 'stopped';

/** Where playback is, as the player reports it to the page (continue watching, up next). */
export interface PlaybackPosition {
  positionSeconds: number;
  durationSeconds: number;
}

/** A playback grant: the master playlist and when its cookies stop working (ms since the epoch). */
export interface Grant {
  manifestUrl: string;
  expiresAt: number;
}

export type Authorization = { ok: true; grant: Grant } | { ok: false; reason: StopReason };

/** Entitlement refusal reasons that mean "access has ended" rather than "never had it". */
const ENDED = new Set(['rental_expired', 'rental_ended', 'subscription_ended', 'refunded', 'expired']);

const RefusalDetails = (body: unknown) =>
  ((body as { error?: { details?: unknown } } | null)?.error?.details ?? {}) as {
    reason?: unknown;
    rentalEndedAt?: unknown;
  };

/** Maps the playback endpoint's answer (status and the API's error JSON) to a grant or a reason. */
export function authorizationFrom(status: number, body: unknown): Authorization {
  if (status === 200) {
    const value = body as { manifestUrl?: unknown; expiresAt?: unknown } | null;
    const expiresAt = typeof value?.expiresAt === 'string' ? Date.parse(value.expiresAt) : Number.NaN;
    if (typeof value?.manifestUrl !== 'string' || Number.isNaN(expiresAt)) return { ok: false, reason: 'unavailable' };
    return { ok: true, grant: { manifestUrl: value.manifestUrl, expiresAt } };
  }
  if (status === 401) return { ok: false, reason: 'signin_required' };
  if (status === 402) {
    // A rental of this title that has run out (the API names when), or a reason that says so.
    const details = RefusalDetails(body);
    const ended =
      typeof details.rentalEndedAt === 'string' || (typeof details.reason === 'string' && ENDED.has(details.reason));
    return { ok: false, reason: ended ? 'rental_expired' : 'payment_required' };
  }
  if (status === 403) return { ok: false, reason: 'forbidden' };
  // Unknown, deleted (404) or unpublished (409) titles: nothing to retry.
  if (status === 404 || status === 409 || status === 410) return { ok: false, reason: 'not_available' };
  return { ok: false, reason: 'unavailable' };
}

/** Asks this site's playback endpoint for the title's cookies (it forwards them from the API). */
export async function requestPlayback(videoId: string, fetcher: typeof fetch = fetch): Promise<Authorization> {
  let response: Response;
  try {
    response = await fetcher(`/videos/${encodeURIComponent(videoId)}/playback`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
  } catch {
    return { ok: false, reason: 'unavailable' };
  }
  const body: unknown = await response.json().catch(() => null);
  return authorizationFrom(response.status, body);
}

/** Renew at this fraction of the grant's remaining life, so a slow renewal still lands in time. */
export const RENEW_AT_FRACTION = 0.8;
/** Never renew in a tight loop, even if the API hands out very short grants. */
export const MIN_RENEW_DELAY_MS = 5_000;
/** After a failed renewal (network, 5xx) try again this soon, while the cookies still hold. */
export const RENEW_RETRY_MS = 10_000;

/** How long to wait before renewing a grant that expires at `expiresAt`. */
export function renewalDelayMs(expiresAt: number, now: number): number {
  return Math.max(MIN_RENEW_DELAY_MS, Math.floor((expiresAt - now) * RENEW_AT_FRACTION));
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface LeaseOptions {
  authorize: () => Promise<Authorization>;
  /** Told when access is gone for good; playback must stop. */
  onStop: (reason: StopReason) => void;
  /** Told after every successful grant (the first one and each renewal). */
  onGrant?: (grant: Grant) => void;
  now?: () => number;
  timers?: Timers;
}

export interface Lease {
  /** The first grant, or the reason there is none (onStop is not called for it). */
  start(): Promise<Authorization>;
  /**
   * Renews now (e.g. after the edge said 403, or when a throttled background tab wakes up late).
   * Calls made while one is in flight share it. Resolves true when new cookies are in place.
   */
  renew(): Promise<boolean>;
  /** Renews at once if the scheduled renewal is overdue (timers sleep in background tabs). */
  checkOverdue(): void;
  readonly grant: Grant | undefined;
  dispose(): void;
}

/**
 * Keeps a title's playback cookies fresh: renews at ~80 % of each grant's life, retries transient
 * failures while the current cookies still work, and stops (once) when the API says access ended.
 */
export function createLease(options: LeaseOptions): Lease {
  const now = options.now ?? Date.now;
  const timers = options.timers ?? realTimers;
  let grant: Grant | undefined;
  let timer: unknown;
  let dueAt = Number.POSITIVE_INFINITY;
  let inFlight: Promise<boolean> | undefined;
  let disposed = false;

  const schedule = (ms: number) => {
    if (timer !== undefined) timers.clear(timer);
    dueAt = now() + ms;
    timer = timers.set(() => {
      timer = undefined;
      void renew();
    }, ms);
  };

  const stop = (reason: StopReason) => {
    if (disposed) return;
    dispose();
    options.onStop(reason);
  };

  const accept = (next: Grant) => {
    grant = next;
    options.onGrant?.(next);
    schedule(renewalDelayMs(next.expiresAt, now()));
  };

  async function renewOnce(): Promise<boolean> {
    const result = await options.authorize();
    if (disposed) return false;
    if (result.ok) {
      accept(result.grant);
      return true;
    }
    const transient = result.reason === 'unavailable';
    const left = (grant?.expiresAt ?? 0) - now();
    if (transient && left > 0) {
      // The cookies still work for a while: keep playing and try again before they lapse.
      schedule(Math.min(RENEW_RETRY_MS, Math.max(1_000, Math.floor(left / 2))));
      return false;
    }
    stop(result.reason);
    return false;
  }

  function renew(): Promise<boolean> {
    if (disposed) return Promise.resolve(false);
    inFlight ??= renewOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function dispose() {
    disposed = true;
    if (timer !== undefined) timers.clear(timer);
    timer = undefined;
  }

  return {
    async start() {
      const result = await options.authorize();
      if (result.ok && !disposed) accept(result.grant);
      return result;
    },
    renew,
    checkOverdue() {
      if (!disposed && timer !== undefined && now() >= dueAt) {
        timers.clear(timer);
        timer = undefined;
        void renew();
      }
    },
    get grant() {
      return grant;
    },
    dispose,
  };
}

/** What the status line needs of an hls.js level. */
export interface LevelInfo {
  height: number;
  width: number;
  bitrate: number;
}

/** A level by its height (1080p); by its shorter side for portrait video, as people name it. */
export function levelLabel(level: LevelInfo): string {
  const lines = level.width > 0 && level.height > 0 ? Math.min(level.width, level.height) : level.height;
  return `${lines}p`;
}

/** Whether a failed hls.js load was the edge refusing the cookies (expired or not for this title). */
export function isEdgeRefusal(responseCode: number | undefined): boolean {
  return responseCode === 403;
}
