import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';

export interface ProgressWriterOptions<V> {
  /**
   * Stores values (each the position of one viewer in one title), all or none. Writes due in
   * the same turn of the event loop go together, at most `maxBatch` at a time.
   */
  write: (entries: { key: string; value: V }[]) => Promise<void>;
  /**
   * The most values one `write` takes; default 1. Standalone passes more: one SQLite transaction
   * is one fsync, whatever it holds (group commit). On DynamoDB a transaction costs twice the
   * writes, so AWS keeps 1: one PutItem per position.
   */
  maxBatch?: number;
  /** At most one write per key in this window; default 5 s. */
  windowMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Keys remembered at most (idle ones are forgotten first); default 100 000. */
  maxKeys?: number;
}

/** `written`: this value was stored; `superseded`: a newer value for the same key came first and was kept instead. */
export type WriteOutcome = 'written' | 'superseded';

interface Flow<V> {
  lastWriteAt: number;
  writing: boolean;
  pending: { value: V; resolve: (outcome: WriteOutcome) => void; reject: (error: unknown) => void } | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Coalesces a flood of position reports: per key (viewer and title) at most one write per
 * `windowMs`. The first report writes at once; reports inside the window wait, each newer one
 * replacing the one before (which resolves `superseded` at once), and the last is written when
 * the window ends — the last value always wins and is always flushed.
 *
 * `submit` resolves when its value was written or superseded, so a Lambda (which freezes when it
 * answers) never leaves a value behind: at most ONE request per key waits, up to `windowMs`. On
 * AWS the window is per container, as the like rate limit is.
 */
export function progressWriter<V>({
  write,
  windowMs = 5_000,
  now = Date.now,
  logger = silentLogger,
  maxKeys = 100_000,
  maxBatch = 1,
}: ProgressWriterOptions<V>) {
  const flows = new Map<string, Flow<V>>();
  let writes = 0;
  let batches = 0;

  // Group commit: values due in the same turn are written together.
  const queue: { key: string; value: V; done: (error?: unknown) => void }[] = [];
  /** Writes queued or under way, settled or not: what `flush` waits for besides the held values. */
  const inflight = new Set<Promise<void>>();
  let draining = false;
  const drain = () => {
    draining = false;
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      batches++;
      writes += batch.length;
      write(batch.map(({ key, value }) => ({ key, value }))).then(
        () => batch.forEach((entry) => entry.done()),
        (error: unknown) => batch.forEach((entry) => entry.done(error ?? new Error('write failed'))),
      );
    }
  };
  const writeOne = (key: string, value: V) => {
    const written = new Promise<void>((resolve, reject) => {
      queue.push({ key, value, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!draining) {
        draining = true;
        setImmediate(drain);
      }
    });
    inflight.add(written);
    const settle = () => void inflight.delete(written);
    written.then(settle, settle);
    return written;
  };

  const forgetIdle = () => {
    if (flows.size <= maxKeys) return;
    const at = now();
    for (const [key, flow] of flows) {
      if (flows.size <= maxKeys) break;
      if (!flow.writing && !flow.pending && at - flow.lastWriteAt >= windowMs) flows.delete(key);
    }
  };

  const run = async (key: string, flow: Flow<V>, value: V): Promise<void> => {
    flow.writing = true;
    try {
      await writeOne(key, value);
    } finally {
      flow.lastWriteAt = now();
      flow.writing = false;
      if (flow.pending) schedule(key, flow);
    }
  };

  const schedule = (key: string, flow: Flow<V>) => {
    if (flow.timer || flow.writing) return;
    const wait = Math.max(0, flow.lastWriteAt + windowMs - now());
    flow.timer = setTimeout(() => {
      flow.timer = undefined;
      const pending = flow.pending;
      if (!pending) return;
      flow.pending = undefined;
      run(key, flow, pending.value).then(
        () => pending.resolve('written'),
        (error: unknown) => {
          logger.error('progress write failed', { key, err: error });
          pending.reject(error);
        },
      );
    }, wait);
  };

  return {
    submit(key: string, value: V): Promise<WriteOutcome> {
      let flow = flows.get(key);
      if (!flow) {
        forgetIdle();
        flow = { lastWriteAt: -Infinity, writing: false, pending: undefined, timer: undefined };
        flows.set(key, flow);
      }
      if (!flow.writing && !flow.pending && now() - flow.lastWriteAt >= windowMs) {
        return run(key, flow, value).then(() => 'written' as const);
      }
      flow.pending?.resolve('superseded');
      const current = flow;
      return new Promise<WriteOutcome>((resolve, reject) => {
        current.pending = { value, resolve, reject };
        schedule(key, current);
      });
    },

    /**
     * Writes every waiting value now and resolves once every write, these and the ones already
     * under way, has settled: after it, closing the store loses nothing (shutdown).
     */
    async flush(): Promise<void> {
      await Promise.all(
        [...flows].map(async ([key, flow]) => {
          clearTimeout(flow.timer);
          flow.timer = undefined;
          const pending = flow.pending;
          if (!pending) return;
          flow.pending = undefined;
          try {
            await run(key, flow, pending.value);
            pending.resolve('written');
          } catch (error) {
            pending.reject(error);
          }
        }),
      );
      await Promise.allSettled([...inflight]);
    },

    /** Values written so far, and the `write` calls that carried them (for tests and the bench). */
    get writes() {
      return writes;
    },
    get batches() {
      return batches;
    },
    /** Keys remembered (bounded by `maxKeys` plus the ones still in their window). */
    get keys() {
      return flows.size;
    },
  };
}

export type ProgressWriter<V> = ReturnType<typeof progressWriter<V>>;
