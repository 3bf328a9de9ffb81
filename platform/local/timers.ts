import Database from 'better-sqlite3';
import { EventEnvelope } from '#shared/events/define.js';
import { silentLogger } from '#shared/log.js';
import type { Logger } from '#shared/log.js';
import type { Scheduler } from '#shared/ports/scheduler.js';
import { assertScheduleName } from '#shared/ports/scheduler.js';

export interface LocalTimers extends Scheduler {
  /** Arms the next timer; what came due while the process was down fires at once. */
  start(): void;
  /** Looks for due timers now (after the dev clock moved, or a schedule changed elsewhere). */
  wake(): void;
  /** Fires everything due now and resolves when done (tests, the dev clock). */
  drain(): Promise<number>;
  pending(): number;
  /** Stops firing, waits for the run in progress and closes the file. */
  stop(): Promise<void>;
}

export interface LocalTimersOptions {
  /** The SQLite file of the timers (durable commits: a timer set is a timer kept). */
  file: string;
  /** The Clock port: the dev clock moves timers with it. */
  now: () => number;
  /** Puts a fired event on the bus; a timer is deleted only after this resolves (at least once). */
  fire: (events: EventEnvelope[]) => Promise<void>;
  logger?: Logger;
  /** The longest single sleep, so a clock that jumps is noticed even without `wake` (default 30 s). */
  maxSleepMs?: number;
  /** A firing that failed is tried again this much later (default 1 s). */
  retryMs?: number;
}

const BATCH = 1000;

interface TimerRow {
  name: string;
  due_at: number;
  envelope: string;
}

/**
 * The standalone Scheduler: one-time timers in a SQLite table (EventBridge Scheduler's `at()`
 * with `ActionAfterCompletion: DELETE`). One Node timer is armed for the earliest due row only, so
 * a hundred thousand pending reminders cost a B-tree, not a hundred thousand closures. Firing
 * publishes the stored envelope, then deletes the row unless it was replaced meanwhile; a crash in
 * between fires it again on start, and consumers drop the duplicate by its event id.
 */
export function sqliteTimers(options: LocalTimersOptions): LocalTimers {
  const { now, fire, logger = silentLogger, maxSleepMs = 30_000, retryMs = 1000 } = options;
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // One transaction for the whole schema: a first start commits (and fsyncs) once, not per statement.
  db.transaction(() =>
    db.exec(`
    CREATE TABLE IF NOT EXISTS timers (
      name TEXT PRIMARY KEY,
      due_at INTEGER NOT NULL,
      envelope TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);
  `),
  )();
  const upsert = db.prepare<[string, number, string]>(
    `INSERT INTO timers (name, due_at, envelope) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET due_at = excluded.due_at, envelope = excluded.envelope`,
  );
  const remove = db.prepare<[string]>('DELETE FROM timers WHERE name = ?');
  const removeFired = db.prepare<[string, number, string]>(
    'DELETE FROM timers WHERE name = ? AND due_at = ? AND envelope = ?',
  );
  const postpone = db.prepare<[number, string, number]>('UPDATE timers SET due_at = ? WHERE name = ? AND due_at = ?');
  const selectDue = db.prepare<[number, number], TimerRow>(
    'SELECT name, due_at, envelope FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?',
  );
  const earliest = db.prepare<[], { due_at: number | null }>('SELECT MIN(due_at) AS due_at FROM timers');
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM timers');
  const settleFired = db.transaction((rows: TimerRow[]) => {
    for (const row of rows) removeFired.run(row.name, row.due_at, row.envelope);
  });

  let started = false;
  let stopped = false;
  let sleeper: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;

  const arm = () => {
    if (!started || stopped) return;
    clearTimeout(sleeper);
    const next = earliest.get()?.due_at;
    if (next === null || next === undefined) return;
    const delay = Math.max(0, Math.min(next - now(), maxSleepMs));
    sleeper = setTimeout(() => void run(), delay);
  };

  const fireDue = async (): Promise<number> => {
    let fired = 0;
    for (;;) {
      const rows = selectDue.all(now(), BATCH);
      if (rows.length === 0) return fired;
      const good: TimerRow[] = [];
      const events: EventEnvelope[] = [];
      for (const row of rows) {
        const parsed = EventEnvelope.safeParse(JSON.parse(row.envelope));
        if (parsed.success) {
          good.push(row);
          events.push(parsed.data as EventEnvelope);
        } else {
          logger.error('dropped a timer whose event is malformed', { name: row.name });
          remove.run(row.name);
        }
      }
      try {
        await fire(events);
        settleFired(good);
        fired += good.length;
      } catch (error) {
        logger.error('timers could not fire; trying again', { count: good.length, err: error });
        const later = now() + retryMs;
        db.transaction(() => good.forEach((row) => postpone.run(later, row.name, row.due_at)))();
        return fired;
      }
    }
  };

  const run = (): Promise<number> => {
    if (stopped) return Promise.resolve(0);
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          total += await fireDue();
        } while (again && !stopped);
      } finally {
        running = undefined;
        arm();
      }
      return total;
    })();
    return running;
  };

  return {
    async at(name, time, event) {
      assertScheduleName(name);
      if (!Number.isFinite(time)) throw new Error(`bad time for schedule ${name}`);
      upsert.run(name, Math.floor(time), JSON.stringify(EventEnvelope.parse(event)));
      if (started && !running) arm();
      else again = true;
    },
    async cancel(name) {
      assertScheduleName(name);
      remove.run(name);
    },
    start() {
      started = true;
      void run();
    },
    wake() {
      void run();
    },
    drain: () => run(),
    pending: () => count.get()!.n,
    async stop() {
      stopped = true;
      clearTimeout(sleeper);
      await running?.catch(() => undefined);
      db.close();
    },
  };
}
