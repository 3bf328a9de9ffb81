/**
 * Reports where the viewer is, so a reload or another device resumes there: every ~10 s while
 * playing, at once on pause and at the end, and with `navigator.sendBeacon` when the page is
 * hidden or closed (the one request a closing page may still send). The engagement service
 * coalesces whatever arrives (at most one write per 5 s per viewer and title), so a report here is
 * cheap; nothing is sent while nothing moved.
 */
export interface ProgressReport {
  positionSeconds: number;
  durationSeconds: number;
}

export interface ProgressTransport {
  /** An ordinary request (kept alive past a navigation). */
  send(report: ProgressReport): Promise<void>;
  /** The page is going away: a beacon. False when the browser refused to queue it. */
  beacon(report: ProgressReport): boolean;
}

/** The page's own endpoint: `PUT` JSON, and the beacon's `POST` with a text/plain body. */
export function progressTransport(videoId: string): ProgressTransport {
  const url = `/videos/${encodeURIComponent(videoId)}/progress`;
  return {
    async send(report) {
      try {
        await fetch(url, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(report),
          keepalive: true,
        });
      } catch {
        // The next report (10 s later) carries a newer position anyway.
      }
    },
    beacon(report) {
      if (typeof navigator === 'undefined' || typeof navigator.sendBeacon !== 'function') return false;
      // text/plain keeps the beacon a simple request; the endpoint reads the same JSON from it.
      return navigator.sendBeacon(url, new Blob([JSON.stringify(report)], { type: 'text/plain;charset=UTF-8' }));
    },
  };
}

export interface ProgressReporterOptions {
  transport: ProgressTransport;
  /** While playing, at most one report per interval; default 10 s. */
  intervalMs?: number;
  now?: () => number;
}

/** Positions within this many seconds of the last report are not worth another one. */
const SAME_PLACE_SECONDS = 0.5;

export function progressReporter({ transport, intervalMs = 10_000, now = Date.now }: ProgressReporterOptions) {
  let latest: ProgressReport | null = null;
  let sent: ProgressReport | null = null;
  let sentAt = -Infinity;

  const moved = () =>
    latest !== null &&
    (sent === null ||
      Math.abs(latest.positionSeconds - sent.positionSeconds) >= SAME_PLACE_SECONDS ||
      latest.durationSeconds !== sent.durationSeconds);

  const record = (positionSeconds: number, durationSeconds: number): boolean => {
    if (!Number.isFinite(durationSeconds) || durationSeconds <= 0 || !Number.isFinite(positionSeconds)) return false;
    latest = { positionSeconds: Math.min(durationSeconds, Math.max(0, positionSeconds)), durationSeconds };
    return true;
  };

  const send = () => {
    if (!latest || !moved()) return;
    sent = latest;
    sentAt = now();
    void transport.send(latest);
  };

  return {
    /** Playback moved (timeupdate): reports when the interval has passed. */
    time(positionSeconds: number, durationSeconds: number) {
      if (record(positionSeconds, durationSeconds) && now() - sentAt >= intervalMs) send();
    },
    /** Paused or seeked while paused: report now. */
    pause(positionSeconds: number, durationSeconds: number) {
      if (record(positionSeconds, durationSeconds)) send();
    },
    /** The end: the whole duration, so the title counts as finished. */
    ended(durationSeconds: number) {
      if (record(durationSeconds, durationSeconds)) send();
    },
    /** The page is hidden or unloading: a beacon with the last position, if it moved. */
    hide() {
      if (!latest || !moved()) return;
      if (transport.beacon(latest)) {
        sent = latest;
        sentAt = now();
      } else {
        send();
      }
    },
    /** The last position known, for the page's own use (e.g. the up-next decision). */
    get position(): ProgressReport | null {
      return latest;
    },
  };
}

export type ProgressReporter = ReturnType<typeof progressReporter>;

/**
 * Wires a reporter to a media element and to the page's hide/unload: any player that renders a
 * `<video>` (or media-chrome's media element) can call this. Returns the detach function.
 */
export function watchProgress(media: HTMLMediaElement, reporter: ProgressReporter): () => void {
  const onTime = () => reporter.time(media.currentTime, media.duration);
  const onPause = () => {
    if (!media.ended) reporter.pause(media.currentTime, media.duration);
  };
  const onEnded = () => reporter.ended(media.duration);
  const onHide = () => {
    if (document.visibilityState === 'hidden') reporter.hide();
  };
  const onPageHide = () => reporter.hide();
  media.addEventListener('timeupdate', onTime);
  media.addEventListener('pause', onPause);
  media.addEventListener('ended', onEnded);
  document.addEventListener('visibilitychange', onHide);
  window.addEventListener('pagehide', onPageHide);
  return () => {
    media.removeEventListener('timeupdate', onTime);
    media.removeEventListener('pause', onPause);
    media.removeEventListener('ended', onEnded);
    document.removeEventListener('visibilitychange', onHide);
    window.removeEventListener('pagehide', onPageHide);
    // Leaving the page inside the app (no pagehide): keep the last position.
    reporter.hide();
  };
}
