import type Database from 'better-sqlite3';

/**
 * Sign-in throttling that protects an account without handing strangers a way to lock it.
 *
 * Three failure counters, kept in the identity database so a restart does not reset an attack:
 * - per client address (any account): after {@link CLIENT_FREE} failures each further attempt from
 *   that address waits 2^k seconds (capped at {@link MAX_DELAY_MS}); meanwhile it is refused (429).
 * - per (account, client address): after {@link PAIR_FREE} failures, the same exponential wait for
 *   that pair only; a correct password from the pair clears it.
 * - per account (every client): above {@link ACCOUNT_CEILING} failures every attempt on the account
 *   is slowed by {@link ACCOUNT_SLOW_MS}, never refused — so a stranger's guesses from elsewhere
 *   cost the owner a second at most, and the owner's correct password from their own client works.
 *
 * Counters are keyed by the normalised email whether or not an account exists, so unknown and
 * known emails are throttled (and answered) alike. A counter is forgotten {@link WINDOW_MS} after
 * its last failure. Sign-ups are limited per client address ({@link SIGNUPS_PER_WINDOW}).
 */
export const CLIENT_FREE = 20;
export const PAIR_FREE = 5;
export const ACCOUNT_CEILING = 50;
export const ACCOUNT_SLOW_MS = 1000;
export const MAX_DELAY_MS = 15 * 60 * 1000;
export const WINDOW_MS = 60 * 60 * 1000;
export const SIGNUPS_PER_WINDOW = 10;

export type ThrottleDecision = { allowed: true; slowMs: number } | { allowed: false; retryAfterSeconds: number };

export interface SignInThrottle {
  /** Before checking a password: may this client try this email now, and after how long a pause? */
  beforeSignIn(email: string, client: string): ThrottleDecision;
  signInFailed(email: string, client: string): void;
  signInSucceeded(email: string, client: string): void;
  /** Counts a sign-up attempt from this client, refused past the window's allowance. */
  signUpAttempt(client: string): ThrottleDecision;
}

interface Counter {
  count: number;
  last_at: number;
}

const keys = (email: string, client: string) => ({
  client: `client:${client}`,
  pair: `pair:${email}\u0000${client}`,
  account: `account:${email}`,
});

/** The wait after `count` failures when the first `free` cost nothing: 1 s, 2 s, 4 s … capped. */
export function backoffMs(count: number, free: number): number {
  if (count < free) return 0;
  return Math.min(MAX_DELAY_MS, 1000 * 2 ** Math.min(30, count - free));
}

export function signInThrottle(options: {
  db: Database.Database;
  now: () => number;
  /** Sign-ups per client and window (default SIGNUPS_PER_WINDOW). */
  signUpsPerWindow?: number;
}): SignInThrottle {
  const { db, now } = options;
  const signUpsPerWindow = options.signUpsPerWindow ?? SIGNUPS_PER_WINDOW;
  db.exec(`CREATE TABLE IF NOT EXISTS signin_counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL
  )`);
  const read = db.prepare<[string], Counter>('SELECT count, last_at FROM signin_counters WHERE key = ?');
  const bump = db.prepare<{ key: string; now: number; window: number }>(
    `INSERT INTO signin_counters (key, count, last_at) VALUES (@key, 1, @now)
     ON CONFLICT(key) DO UPDATE SET
       count = CASE WHEN last_at <= @now - @window THEN 1 ELSE count + 1 END,
       last_at = @now`,
  );
  const forget = db.prepare<[string]>('DELETE FROM signin_counters WHERE key = ?');
  const sweep = db.prepare<[number]>('DELETE FROM signin_counters WHERE last_at <= ?');

  const current = (key: string, at: number): Counter | undefined => {
    const row = read.get(key);
    return row && row.last_at > at - WINDOW_MS ? row : undefined;
  };
  /** How long until this counter lets the next attempt through (0 = now). */
  const waitMs = (key: string, free: number, at: number) => {
    const row = current(key, at);
    if (!row) return 0;
    return Math.max(0, row.last_at + backoffMs(row.count, free) - at);
  };
  const refuse = (ms: number): ThrottleDecision => ({ allowed: false, retryAfterSeconds: Math.ceil(ms / 1000) });
  let sweptAt = 0;

  return {
    beforeSignIn(email, client) {
      const at = now();
      if (at - sweptAt > WINDOW_MS) {
        sweep.run(at - WINDOW_MS);
        sweptAt = at;
      }
      const key = keys(email, client);
      const wait = Math.max(waitMs(key.client, CLIENT_FREE, at), waitMs(key.pair, PAIR_FREE, at));
      if (wait > 0) return refuse(wait);
      const accountFailures = current(key.account, at)?.count ?? 0;
      return { allowed: true, slowMs: accountFailures >= ACCOUNT_CEILING ? ACCOUNT_SLOW_MS : 0 };
    },
    signInFailed(email, client) {
      const at = now();
      const key = keys(email, client);
      db.transaction(() => {
        for (const name of [key.client, key.pair, key.account]) bump.run({ key: name, now: at, window: WINDOW_MS });
      })();
    },
    signInSucceeded(email, client) {
      forget.run(keys(email, client).pair);
    },
    signUpAttempt(client) {
      const at = now();
      const key = `signup:${client}`;
      const row = current(key, at);
      if (row && row.count >= signUpsPerWindow) return refuse(row.last_at + WINDOW_MS - at);
      bump.run({ key, now: at, window: WINDOW_MS });
      return { allowed: true, slowMs: 0 };
    },
  };
}
