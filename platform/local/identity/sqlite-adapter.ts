import type Database from 'better-sqlite3';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Row {
  payload: string;
  expires_at: number | null;
  consumed: number | null;
}

/**
 * oidc-provider's storage on SQLite: one table keyed by model + id, with the secondary lookups the
 * provider needs (grant, session uid, user code). Sessions, grants and refresh tokens therefore
 * survive restarts. Expiry uses the wall clock, like the provider's own checks, so advancing the
 * dev clock never signs people out behind the provider's back.
 */
export function sqliteAdapter(db: Database.Database): AdapterFactory {
  // One transaction for the table and its indexes: a first start commits (and fsyncs) once, not five times.
  db.transaction(() =>
    db.exec(`
    CREATE TABLE IF NOT EXISTS oidc_entries (
      model TEXT NOT NULL,
      id TEXT NOT NULL,
      payload TEXT NOT NULL,
      expires_at INTEGER,
      grant_id TEXT,
      uid TEXT,
      user_code TEXT,
      consumed INTEGER,
      PRIMARY KEY (model, id)
    ) STRICT;
    CREATE INDEX IF NOT EXISTS oidc_entries_grant ON oidc_entries (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_entries_uid ON oidc_entries (model, uid) WHERE uid IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_entries_user_code ON oidc_entries (model, user_code) WHERE user_code IS NOT NULL;
    CREATE INDEX IF NOT EXISTS oidc_entries_expiry ON oidc_entries (expires_at) WHERE expires_at IS NOT NULL;
  `),
  )();

  const upsert = db.prepare(
    `INSERT INTO oidc_entries (model, id, payload, expires_at, grant_id, uid, user_code, consumed)
     VALUES (@model, @id, @payload, @expiresAt, @grantId, @uid, @userCode, NULL)
     ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at,
       grant_id = excluded.grant_id, uid = excluded.uid, user_code = excluded.user_code, consumed = NULL`,
  );
  const byId = db.prepare<[string, string], Row>(
    'SELECT payload, expires_at, consumed FROM oidc_entries WHERE model = ? AND id = ?',
  );
  const byUid = db.prepare<[string, string], Row>(
    'SELECT payload, expires_at, consumed FROM oidc_entries WHERE model = ? AND uid = ?',
  );
  const byUserCode = db.prepare<[string, string], Row>(
    'SELECT payload, expires_at, consumed FROM oidc_entries WHERE model = ? AND user_code = ?',
  );
  const consume = db.prepare('UPDATE oidc_entries SET consumed = ? WHERE model = ? AND id = ?');
  const destroy = db.prepare('DELETE FROM oidc_entries WHERE model = ? AND id = ?');
  const revokeGrant = db.prepare('DELETE FROM oidc_entries WHERE grant_id = ?');
  const sweep = db.prepare('DELETE FROM oidc_entries WHERE expires_at IS NOT NULL AND expires_at <= ?');

  const epoch = () => Math.floor(Date.now() / 1000);
  let writes = 0;

  const read = (row: Row | undefined): AdapterPayload | undefined => {
    if (!row) return undefined;
    if (row.expires_at !== null && row.expires_at <= epoch()) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed === null ? payload : { ...payload, consumed: row.consumed };
  };

  sweep.run(epoch());

  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      upsert.run({
        model,
        id,
        payload: JSON.stringify(payload),
        expiresAt: typeof expiresIn === 'number' ? epoch() + expiresIn : null,
        grantId: payload.grantId ?? null,
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
      });
      // Expired rows are never returned; deleting them now and then only keeps the file small.
      if (++writes % 500 === 0) sweep.run(epoch());
    },
    find: async (id) => read(byId.get(model, id)),
    findByUid: async (uid) => read(byUid.get(model, uid)),
    findByUserCode: async (userCode) => read(byUserCode.get(model, userCode)),
    async consume(id) {
      consume.run(epoch(), model, id);
    },
    async destroy(id) {
      destroy.run(model, id);
    },
    async revokeByGrantId(grantId) {
      revokeGrant.run(grantId);
    },
  });
}

/**
 * Ends every issuer session, grant and token of one account (a password reset or change, an
 * email change): its refresh tokens stop working, so each signed-in device is signed out at its
 * next renewal (within the access token's lifetime).
 */
export function endSessionsOf(db: Database.Database, accountId: string): number {
  return db
    .prepare(
      `DELETE FROM oidc_entries
       WHERE grant_id IN (SELECT id FROM oidc_entries WHERE model = 'Grant' AND json_extract(payload, '$.accountId') = ?)
          OR json_extract(payload, '$.accountId') = ?`,
    )
    .run(accountId, accountId).changes;
}
