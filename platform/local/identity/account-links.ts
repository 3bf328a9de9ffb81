import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';

/** How long an emailed account link (password reset, new email address) works. */
export const LINK_TTL_MS = 30 * 60 * 1000;
const KEEP_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;
const TOKEN_BYTES = 32;

/** `reset`: choose a new password; `email`: move the account to the address in `detail`. */
export type LinkKind = 'reset' | 'email';

export type LinkCheck =
  | { ok: true; accountId: string; detail: string | null }
  | { ok: false; reason: 'malformed' | 'unknown' | 'used' | 'expired' };

export interface AccountLinks {
  /** A new link's token for the account (only its SHA-256 is stored). */
  start(kind: LinkKind, accountId: string, detail?: string): string;
  /** Whether the token is a good link of this kind now, without spending it (a GET shows a form). */
  check(kind: LinkKind, token: string): LinkCheck;
  /** Checks and spends the token, and every other open link of the same kind and account, at once. */
  redeem(kind: LinkKind, token: string): LinkCheck;
}

interface Row {
  token_hash: Buffer;
  kind: string;
  account_id: string;
  detail: string | null;
  expires_at: number;
  used_at: number | null;
}

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * Emailed account links in the identity database: 256 random bits sent only in the email, kept
 * as their SHA-256 (a copy of the database cannot reset anyone's password), 30 minutes, single
 * use, good for one kind only; spending one spends all of the account's open links of that kind,
 * so an older email cannot undo a newer password or address.
 */
export function accountLinks(options: { db: Database.Database; now: () => number }): AccountLinks {
  const { db, now } = options;
  db.exec(`CREATE TABLE IF NOT EXISTS account_links (
    token_hash BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    detail TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) STRICT`);
  const insert = db.prepare(
    'INSERT INTO account_links (token_hash, kind, account_id, detail, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const find = db.prepare<[Buffer], Row>('SELECT * FROM account_links WHERE token_hash = ?');
  const spend = db.prepare('UPDATE account_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL');
  const spendOthers = db.prepare(
    'UPDATE account_links SET used_at = ? WHERE kind = ? AND account_id = ? AND used_at IS NULL',
  );
  const prune = db.prepare('DELETE FROM account_links WHERE expires_at < ?');

  const look = (kind: LinkKind, token: string): LinkCheck => {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: 'malformed' };
    const presented = hashToken(token);
    const row = find.get(presented);
    // The lookup is by hash; the comparison that decides is constant-time all the same.
    if (!row || row.kind !== kind || !timingSafeEqual(row.token_hash, presented))
      return { ok: false, reason: 'unknown' };
    if (row.used_at !== null) return { ok: false, reason: 'used' };
    if (now() >= row.expires_at) return { ok: false, reason: 'expired' };
    return { ok: true, accountId: row.account_id, detail: row.detail };
  };

  return {
    start(kind, accountId, detail) {
      const at = now();
      prune.run(at - KEEP_AFTER_EXPIRY_MS);
      const token = randomBytes(TOKEN_BYTES).toString('base64url');
      insert.run(hashToken(token), kind, accountId, detail ?? null, at, at + LINK_TTL_MS);
      return token;
    },
    check: look,
    redeem(kind, token) {
      return db.transaction((): LinkCheck => {
        const found = look(kind, token);
        if (!found.ok) return found;
        // Only the request that flips `used_at` wins; a concurrent second one sees `used`.
        if (spend.run(now(), hashToken(token)).changes !== 1) return { ok: false, reason: 'used' };
        spendOthers.run(now(), kind, found.accountId);
        return found;
      })();
    },
  };
}
