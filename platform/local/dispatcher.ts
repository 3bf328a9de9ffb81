import Database from 'better-sqlite3';
import { z } from 'zod';
import { EventEnvelope } from '#shared/events/define.js';
import { deliver } from '#shared/events/subscribe.js';
import { invalidInput, notFound } from '#shared/errors.js';
import { silentLogger, type Logger } from '#shared/log.js';
import type { Bus, Subscription } from '#shared/ports/bus.js';
import type { Table } from '#shared/ports/table.js';
import type { SqliteTable } from './sqlite-table.js';

export interface DeadLetter {
  /** Pass it to `redrive`. */
  id: string;
  subscription: string;
  envelope: EventEnvelope;
  attempts: number;
  /** The last attempt's error message. */
  error: string;
  failedAt: string;
}

export type Dispatcher = Bus & {
  /** Starts the background loop: woken by commits of the sources, and every `pollMs`. */
  start(): void;
  /** Stops the loop, waits for the run in progress and closes the delivery table. */
  stop(): Promise<void>;
  /** Runs until nothing is due now (deliveries backing off stay pending); for tests and the dev clock. */
  drain(): Promise<void>;
  /** Asks the started loop for a run soon (after a commit elsewhere, or when the clock moved). */
  wake(): void;
  deadLetters(): DeadLetter[];
  /** Puts a dead letter back in the queue with fresh attempts. */
  redrive(id: string): void;
};

export interface DispatcherOptions {
  /** The delivery table's SQLite file (the local stand-in for EventBridge's queues). */
  file: string;
  /** The tables whose outbox is relayed; `name` is for logs. */
  sources: { name: string; table: SqliteTable }[];
  /** Each subscription with the table that keeps its inbox (the consuming service's table). */
  subscriptions: { subscription: Subscription; inbox: Table }[];
  now: () => number;
  logger?: Logger;
  pollMs?: number;
  maxAttempts?: number;
  /** Delay in ms before retry number `attempt` (1-based) of a failed delivery. */
  backoff?: (attempt: number) => number;
}

const BATCH = 100;
const MAX_BACKOFF_MS = 5 * 60_000;
/** Delivered rows are kept a day, so a late re-relay of the same outbox row is dropped here already. */
const DONE_RETENTION_MS = 24 * 3600_000;

/** 1 s, 2 s, 4 s… capped at 5 minutes. */
export const exponentialBackoff = (attempt: number): number => Math.min(1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  subscription TEXT NOT NULL,
  envelope TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  last_error TEXT,
  updated_at INTEGER NOT NULL,
  UNIQUE (event_id, subscription)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (due_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_done ON deliveries (updated_at) WHERE state = 'done';
CREATE INDEX IF NOT EXISTS deliveries_dead ON deliveries (updated_at) WHERE state = 'dead';
`;

interface DeliveryRow {
  id: number;
  event_id: string;
  subscription: string;
  envelope: string;
  attempts: number;
  last_error: string | null;
  updated_at: number;
}

/**
 * The standalone runtime's event bus, shaped like EventBridge: it relays the outbox rows of every
 * source table into its own delivery table (one row per event and matching subscription; match is
 * exact source + detail-type), then marks them relayed. The two steps are separate commits, so a
 * crash between them relays the rows again: duplicates are dropped by the delivery table's unique
 * key and, after that, by each subscription's inbox (`deliver()`); nothing is lost because the
 * outbox row stays pending until its deliveries are durable (`synchronous=FULL`).
 *
 * Deliveries retry with `backoff` (default 1 s, 2 s, 4 s… capped at 5 min) up to `maxAttempts`
 * (default 8), then become dead letters that `redrive` can requeue. One run of the loop at a time;
 * it wakes on commits of the sources (`onCommit`) and polls every `pollMs` (default 200 ms) for
 * commits of other processes and retries coming due.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { sources, now, logger = silentLogger, pollMs = 200, maxAttempts = 8, backoff = exponentialBackoff } = options;

  const subscriptions = new Map<string, { subscription: Subscription; inbox: Table }>();
  for (const entry of options.subscriptions) {
    if (subscriptions.has(entry.subscription.name)) {
      throw new Error(`two subscriptions are named ${entry.subscription.name}`);
    }
    subscriptions.set(entry.subscription.name, entry);
  }
  const matching = (envelope: EventEnvelope) =>
    [...subscriptions.values()].filter(({ subscription }) => subscription.event.matches(envelope));

  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // One transaction for the whole schema: a first start commits (and fsyncs) once, not per statement.
  db.transaction(() => db.exec(SCHEMA))();

  const insertDelivery = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO deliveries (event_id, subscription, envelope, state, due_at, updated_at)
     VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (event_id, subscription) DO NOTHING`,
  );
  const selectDue = db.prepare<[number, number], DeliveryRow>(
    `SELECT * FROM deliveries WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?`,
  );
  const markDone = db.prepare<[number, number, number]>(
    `UPDATE deliveries SET state = 'done', attempts = ?, last_error = NULL, updated_at = ? WHERE id = ?`,
  );
  const markRetry = db.prepare<[number, number, string, number, number]>(
    `UPDATE deliveries SET attempts = ?, due_at = ?, last_error = ?, updated_at = ? WHERE id = ?`,
  );
  const markDead = db.prepare<[number, string, number, number]>(
    `UPDATE deliveries SET state = 'dead', attempts = ?, last_error = ?, updated_at = ? WHERE id = ?`,
  );
  const purgeDone = db.prepare<[number]>(`DELETE FROM deliveries WHERE state = 'done' AND updated_at < ?`);
  const selectDead = db.prepare<[], DeliveryRow>(
    `SELECT * FROM deliveries WHERE state = 'dead' ORDER BY updated_at, id`,
  );
  const requeue = db.prepare<[number, number, number]>(
    `UPDATE deliveries SET state = 'pending', attempts = 0, due_at = ?, updated_at = ? WHERE id = ? AND state = 'dead'`,
  );

  /** Adds one delivery per matching subscription; returns how many rows were new. */
  const enqueue = db.transaction((envelopes: EventEnvelope[], at: number) => {
    let added = 0;
    for (const envelope of envelopes) {
      const targets = matching(envelope);
      if (targets.length === 0)
        logger.debug('no subscription for event', { eventId: envelope.id, type: envelope['detail-type'] });
      const text = JSON.stringify(envelope);
      for (const { subscription } of targets) {
        added += insertDelivery.run(envelope.id, subscription.name, text, at, at).changes;
      }
    }
    return added;
  });

  function relay(): number {
    let relayed = 0;
    for (const source of sources) {
      try {
        const rows = source.table.outbox.pending(BATCH);
        if (rows.length === 0) continue;
        // Durable here first, then marked there: a crash in between relays again, never loses.
        enqueue.immediate(
          rows.map((row) => row.envelope),
          now(),
        );
        source.table.outbox.markRelayed(rows.map((row) => row.seq));
        relayed += rows.length;
      } catch (error) {
        logger.error('relay failed', { source: source.name, err: error });
      }
    }
    return relayed;
  }

  async function attempt(row: DeliveryRow): Promise<void> {
    const attempts = row.attempts + 1;
    const fields = { eventId: row.event_id, subscription: row.subscription, attempt: attempts };
    const target = subscriptions.get(row.subscription);
    if (!target) {
      markDead.run(attempts, 'no such subscription in this process', now(), row.id);
      logger.error('delivery dead: unknown subscription', fields);
      return;
    }
    try {
      const envelope = JSON.parse(row.envelope) as EventEnvelope;
      const outcome = await deliver(target.subscription, envelope, target.inbox, now());
      markDone.run(attempts, now(), row.id);
      logger.debug('delivered', { ...fields, outcome });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const at = now();
      if (attempts >= maxAttempts) {
        markDead.run(attempts, message, at, row.id);
        logger.error('delivery dead after retries', { ...fields, err: error });
      } else {
        markRetry.run(attempts, at + Math.max(0, backoff(attempts)), message, at, row.id);
        logger.warn('delivery failed; will retry', { ...fields, err: error });
      }
    }
  }

  /** One run: relay every outbox, then attempt what is due. Returns how much work it did. */
  async function pass(): Promise<number> {
    const relayed = relay();
    purgeDone.run(now() - DONE_RETENTION_MS);
    const due = selectDue.all(now(), BATCH);
    await Promise.all(due.map(attempt));
    return relayed + due.length;
  }

  async function untilIdle(): Promise<void> {
    // Bounded so that a flood cannot starve the event loop's other callers of the mutex forever.
    for (let round = 0; round < 1000 && !closed; round++) {
      if ((await pass()) === 0) return;
    }
  }

  // Runs are chained on one promise: never two at once, whoever asks (timer, commit, drain).
  let tail: Promise<void> = Promise.resolve();
  const exclusive = (run: () => Promise<void>): Promise<void> => {
    const next = tail.then(run);
    tail = next.catch(() => {});
    return next;
  };

  let started = false;
  let closed = false;
  let wakeQueued = false;
  let timer: NodeJS.Timeout | undefined;
  const unsubscribes: (() => void)[] = [];

  function wake(): void {
    if (!started || closed || wakeQueued) return;
    wakeQueued = true;
    exclusive(async () => {
      wakeQueued = false;
      if (!closed) await untilIdle();
    }).catch((error: unknown) => logger.error('dispatcher run failed', { err: error }));
  }

  return {
    async publish(events) {
      if (closed) throw new Error('the dispatcher is stopped');
      const envelopes = events.map((event) => {
        const parsed = EventEnvelope.safeParse(event);
        if (!parsed.success) throw invalidInput('invalid event envelope', z.treeifyError(parsed.error));
        return parsed.data as EventEnvelope;
      });
      enqueue.immediate(envelopes, now());
      wake();
    },
    start() {
      if (closed) throw new Error('the dispatcher is stopped');
      if (started) return;
      started = true;
      for (const source of sources) unsubscribes.push(source.table.onCommit(wake));
      timer = setInterval(wake, pollMs);
      timer.unref();
      wake();
    },
    async stop() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      await tail;
      db.close();
    },
    drain() {
      if (closed) return Promise.reject(new Error('the dispatcher is stopped'));
      return exclusive(untilIdle);
    },
    wake,
    deadLetters() {
      return selectDead.all().map((row) => ({
        id: String(row.id),
        subscription: row.subscription,
        envelope: JSON.parse(row.envelope) as EventEnvelope,
        attempts: row.attempts,
        error: row.last_error ?? '',
        failedAt: new Date(row.updated_at).toISOString(),
      }));
    },
    redrive(id) {
      const at = now();
      if (!/^\d+$/.test(id) || requeue.run(at, at, Number(id)).changes === 0) throw notFound('dead letter');
      wake();
    },
  };
}
