import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';

/** How long an emailed sign-up link works. */
export const SIGNUP_TTL_MS = 30 * 60 * 1000;
/** Rows past their expiry (used or not) are deleted this long after it. */
const KEEP_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;
const TOKEN_BYTES = 32;

export interface PendingSignUp {
  email: string;
  /** The scrypt hash of the chosen password (`password.ts`); the password itself is never kept. */
  passwordHash: string;
  /** The OIDC interaction the person started from, finished by the link when still alive. */
  interactionUid: string;
}

export type Redemption =
  { ok: true; signUp: PendingSignUp } | { ok: false; reason: 'malformed' | 'unknown' | 'used' | 'expired' };

export interface PendingSignUps {
  /** Keeps a registration until its link is followed; returns the link's token (only its hash is stored). */
  start(signUp: PendingSignUp): string;
  /** Checks the token (of this interaction's link) and spends it, once even under concurrent clicks. */
  redeem(token: string, interactionUid: string): Redemption;
}

interface Row {
  token_hash: Buffer;
  email: string;
  password_hash: string;
  interaction_uid: string;
  expires_at: number;
  used_at: number | null;
}

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * Sign-ups waiting for their email link, in the identity database. The token is 256 random bits
 * sent only in the email; the table holds its SHA-256, so a copy of the database cannot finish
 * anyone's sign-up.
 */
export function pendingSignUps(options: { db: Database.Database; now: () => number }): PendingSignUps {
  const { db, now } = options;
  db.exec(`CREATE TABLE IF NOT EXISTS pending_signups (
    token_hash BLOB PRIMARY KEY,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    interaction_uid TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) STRICT`);
  const insert = db.prepare(
    `INSERT INTO pending_signups (token_hash, email, password_hash, interaction_uid, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const find = db.prepare<[Buffer], Row>('SELECT * FROM pending_signups WHERE token_hash = ?');
  const spend = db.prepare('UPDATE pending_signups SET used_at = ? WHERE token_hash = ? AND used_at IS NULL');
  const prune = db.prepare('DELETE FROM pending_signups WHERE expires_at < ?');

  return {
    start(signUp) {
      const at = now();
      prune.run(at - KEEP_AFTER_EXPIRY_MS);
      const token = randomBytes(TOKEN_BYTES).toString('base64url');
      insert.run(hashToken(token), signUp.email, signUp.passwordHash, signUp.interactionUid, at, at + SIGNUP_TTL_MS);
      return token;
    },

    redeem(token, interactionUid) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: 'malformed' };
      const presented = hashToken(token);
      const row = find.get(presented);
      // The lookup is by hash; the comparison that decides is constant-time all the same.
      if (!row || row.token_hash.length !== presented.length || !timingSafeEqual(row.token_hash, presented))
        return { ok: false, reason: 'unknown' };
      // A token is only good in the link it was sent in.
      if (row.interaction_uid !== interactionUid) return { ok: false, reason: 'unknown' };
      if (row.used_at !== null) return { ok: false, reason: 'used' };
      if (now() >= row.expires_at) return { ok: false, reason: 'expired' };
      // Only the click that flips `used_at` wins; a concurrent second click sees `used`.
      if (spend.run(now(), presented).changes !== 1) return { ok: false, reason: 'used' };
      return {
        ok: true,
        signUp: { email: row.email, passwordHash: row.password_hash, interactionUid: row.interaction_uid },
      };
    },
  };
}
