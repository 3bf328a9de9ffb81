import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Realtime } from '#shared/ports/realtime.js';
import { likesChannel } from './domain/likes.js';

export interface LikeFanoutOptions {
  realtime: Realtime;
  /** The exact count now (the sum of the shards), read when a flush goes out. */
  count: (videoId: string) => Promise<number>;
  /** At most one update per video per interval; default 250 ms (four a second). */
  intervalMs?: number;
  logger?: Logger;
}

interface VideoFlow {
  dirty: boolean;
  flushing: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  lastSentAt: number;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Pushes like counts to viewers, driven by `LikeCountChanged` and coalesced per video: the first
 * change goes out at once, later ones within `intervalMs` fold into one trailing update. Each
 * flush reads the count when it goes out, never from the event, so whatever the order and number
 * of deliveries, the last update a viewer gets is the exact final count.
 *
 * `notify` resolves once an update that read the count after this call has been published: a
 * Lambda awaits it before returning; the standalone dispatcher does not (it would pace the bus).
 */
export function likeFanout({ realtime, count, intervalMs = 250, logger = silentLogger }: LikeFanoutOptions) {
  const flows = new Map<string, VideoFlow>();

  const schedule = (videoId: string, flow: VideoFlow) => {
    if (flow.flushing || flow.timer) return;
    const wait = Math.max(0, flow.lastSentAt + intervalMs - Date.now());
    flow.timer = setTimeout(() => {
      flow.timer = undefined;
      void flush(videoId, flow);
    }, wait);
  };

  const flush = async (videoId: string, flow: VideoFlow) => {
    if (!flow.dirty) {
      // A quiet interval has passed since the last update: forget the video.
      if (flows.get(videoId) === flow) flows.delete(videoId);
      return;
    }
    flow.dirty = false;
    flow.flushing = true;
    const waiters = flow.waiters.splice(0);
    try {
      await realtime.publish(likesChannel(videoId), { count: await count(videoId) });
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      logger.error('live like update failed', { videoId, err: error });
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      flow.lastSentAt = Date.now();
      flow.flushing = false;
      schedule(videoId, flow); // the trailing update, or the cleanup after a quiet interval
    }
  };

  return {
    notify(videoId: string): Promise<void> {
      let flow = flows.get(videoId);
      if (!flow) {
        flow = { dirty: false, flushing: false, timer: undefined, lastSentAt: -Infinity, waiters: [] };
        flows.set(videoId, flow);
      }
      flow.dirty = true;
      const done = new Promise<void>((resolve, reject) => flow.waiters.push({ resolve, reject }));
      schedule(videoId, flow);
      return done;
    },
    /** Videos with an update pending or cooling down (bounded by the videos liked in the last interval). */
    get active() {
      return flows.size;
    },
    close() {
      for (const flow of flows.values()) clearTimeout(flow.timer);
      flows.clear();
    },
  };
}

export type LikeFanout = ReturnType<typeof likeFanout>;
