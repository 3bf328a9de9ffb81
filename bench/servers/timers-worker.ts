import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { RentalReminderDue } from '#shared/events/notification.js';
import type { EventEnvelope } from '#shared/events/define.js';
import { sqliteTimers } from '#platform/local/timers.js';

/**
 * One step of bench/suites/timers.ts per process, so each memory figure is that process's own:
 *   node --expose-gc --import tsx bench/servers/timers-worker.ts <mode> <file> <pending> <burst>
 * modes: `seed-sqlite` / `seed-json` write `pending` timers (one already overdue, the rest a day
 * or more away); `sqlite` / `settimeout` restart from that file and print one JSON line: memory
 * held by the pending timers, time from restart to the first fire, how late the last of `burst`
 * timers due in the same second fired, and how many timers per second could be set.
 */
const [mode = 'sqlite', file = '', pendingArg = '100000', burstArg = '1000'] = process.argv.slice(2);
const PENDING = Number(pendingArg);
const BURST = Number(burstArg);
const DAY = 24 * 3600_000;
/** Far enough ahead that every burst timer is set before the burst is due. */
const BURST_LEAD_MS = 10_000;

const envelope = (i: number, at: number): EventEnvelope =>
  RentalReminderDue.create(
    {
      userId: `01kx9y8z7w6v5t4s3r2q${String(i).padStart(6, '0')}`,
      rentalId: `01kx9y8z7w6v5t4s3r2r${String(i).padStart(6, '0')}`,
      videoId: `01kx9y8z7w6v5t4s3r2s${String(i % 500).padStart(6, '0')}`,
      expiresAt: new Date(at + 5 * 3600_000).toISOString(),
    },
    at,
    `rental-reminder-${i}`,
  );
const dueOf = (i: number, now: number) => (i === 0 ? now - 1000 : now + DAY + i);

const rss = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
};
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
/** The next whole second at least BURST_LEAD_MS away: every burst timer is due at that instant. */
const burstDue = () => Math.ceil((Date.now() + BURST_LEAD_MS) / 1000) * 1000;

async function seedSqlite() {
  const now = Date.now();
  await sqliteTimers({ file, now: Date.now, fire: async () => undefined }).stop(); // the adapter's schema
  const db = new Database(file);
  const insert = db.prepare('INSERT INTO timers (name, due_at, envelope) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < PENDING; i++) insert.run(`t-${i}`, dueOf(i, now), JSON.stringify(envelope(i, now)));
  })();
  db.close();
  return { seeded: PENDING };
}

function seedJson() {
  const now = Date.now();
  const timers = Array.from({ length: PENDING }, (_, i) => ({
    name: `t-${i}`,
    due: dueOf(i, now),
    event: envelope(i, now),
  }));
  writeFileSync(file, JSON.stringify(timers));
  return { seeded: PENDING };
}

async function sqlite() {
  const before = rss();
  const fired: number[] = [];
  let firstFire = 0;
  const started = performance.now();
  const timers = sqliteTimers({
    file,
    now: Date.now,
    fire: async (events) => {
      if (!firstFire) firstFire = performance.now();
      const at = Date.now();
      for (let i = 0; i < events.length; i++) fired.push(at);
    },
  });
  timers.start();
  while (!firstFire) await tick();
  const restartMs = firstFire - started;
  const memory = rss() - before;

  const due = burstDue();
  const addStarted = performance.now();
  for (let i = 0; i < BURST; i++) await timers.at(`burst-${i}`, due, envelope(PENDING + i, Date.now()));
  const addPerSec = BURST / ((performance.now() - addStarted) / 1000);
  fired.length = 0;
  while (fired.length < BURST) await tick(5);
  const lateMs = Math.max(...fired) - due;
  const pending = timers.pending();
  await timers.stop();
  return { memory, restartMs, lateMs, addPerSec, pending };
}

async function settimeout() {
  const before = rss();
  const fired: number[] = [];
  let firstFire = 0;
  const handles = new Map<string, NodeJS.Timeout>();
  // Each closure keeps its event, as a scheduler holding envelopes in memory must.
  const fire = (event: EventEnvelope) => {
    if (!firstFire) firstFire = performance.now();
    if (event.id) fired.push(Date.now());
  };
  const started = performance.now();
  // An in-memory scheduler survives a restart only through a snapshot: read it, arm every timer.
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { name: string; due: number; event: EventEnvelope }[];
  for (const { name, due, event } of saved)
    handles.set(
      name,
      setTimeout(() => fire(event), Math.max(0, due - Date.now())),
    );
  saved.length = 0;
  while (!firstFire) await tick();
  const restartMs = firstFire - started;
  const memory = rss() - before;

  const due = burstDue();
  const addStarted = performance.now();
  for (let i = 0; i < BURST; i++) {
    const event = envelope(PENDING + i, Date.now());
    handles.set(
      `burst-${i}`,
      setTimeout(() => fire(event), due - Date.now()),
    );
  }
  const addPerSec = BURST / ((performance.now() - addStarted) / 1000);
  fired.length = 0;
  while (fired.length < BURST) await tick(5);
  const lateMs = Math.max(...fired) - due;
  const pending = handles.size - BURST - 1;
  for (const handle of handles.values()) clearTimeout(handle);
  return { memory, restartMs, lateMs, addPerSec, pending };
}

const steps: Record<string, () => unknown> = { 'seed-sqlite': seedSqlite, 'seed-json': seedJson, sqlite, settimeout };
const step = steps[mode];
if (!step) throw new Error(`unknown mode ${mode}`);
process.stdout.write(`${JSON.stringify(await step())}\n`);
process.exit(0);
