import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { conflict, invalidInput, notFound } from '#shared/errors.js';
import { newId } from '#shared/ids.js';
import { ROLES } from '#shared/ports/token-verifier.js';
import type { Role } from '#shared/ports/token-verifier.js';
import { hashPassword, passwordMatches, spendPasswordCheck } from './password.js';

export interface Account {
  id: string;
  email: string;
  roles: Role[];
  /** Epoch milliseconds. */
  createdAt: number;
}

/**
 * The outcome of a password check. There is no account lock: a lock that strangers can trigger
 * with five wrong guesses is a denial of service on the owner. Guessing is slowed per client by
 * the sign-in throttle (`throttle.ts`) in front of this check instead.
 */
export type PasswordCheck = { ok: true; account: Account } | { ok: false; reason: 'wrong_credentials' };

export interface AccountStore {
  create(input: { email: string; password: string; roles?: Role[] }): Promise<Account>;
  /** The same, with a password hashed earlier (`hashPassword`), e.g. by an emailed sign-up. */
  createWithPasswordHash(input: { email: string; passwordHash: string; roles?: Role[] }): Account;
  list(): Account[];
  findByEmail(email: string): Account | undefined;
  findById(id: string): Account | undefined;
  setRoles(id: string, roles: Role[]): Account;
  /** Replaces the password (hashed here); not found when the account is gone. */
  setPassword(id: string, password: string): Promise<Account>;
  /** Moves the account to a verified new address; conflict when another account has it. */
  changeEmail(id: string, email: string): Account;
  /** The current password, checked with the same scrypt work as a sign-in. */
  passwordMatches(id: string, password: string): Promise<boolean>;
  /** Deletes the account (closure); false when it did not exist. Sign-in and refresh then fail. */
  remove(id: string): boolean;
  verifyPassword(email: string, password: string): Promise<PasswordCheck>;
  close(): void;
}

/** NFKC then lower case, so full-width and upper-case spellings of one address are one account. */
export const normaliseEmail = (email: string) => email.normalize('NFKC').trim().toLowerCase();

export const Email = z.preprocess(
  (value) => (typeof value === 'string' ? normaliseEmail(value) : value),
  z.email({ error: 'enter a valid email address' }).max(254, 'the email address is too long'),
);

/** Length counted in characters (code points), not UTF-16 units, so Japanese passwords count fairly. */
export const Password = z
  .string({ error: 'enter a password' })
  .refine((value) => [...value].length >= 8, 'the password must be at least 8 characters')
  .refine((value) => [...value].length <= 128, 'the password must be at most 128 characters');

export const Roles = z.array(z.enum(ROLES)).min(1, 'give at least one role');

const NewAccount = z.object({ email: Email, password: Password, roles: Roles.default(['viewer']) });
const HashedAccount = z.object({
  email: Email,
  passwordHash: z.string().startsWith('scrypt$'),
  roles: Roles.default(['viewer']),
});

interface AccountRow {
  id: string;
  email: string;
  password_hash: string;
  roles: string;
  created_at: number;
  failed_attempts: number;
  locked_until: number | null;
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw invalidInput(first?.message ?? 'invalid input', result.error.issues);
  }
  return result.data;
}

/** Opens (and creates when missing) the account table in a SQLite file with durable commits. */
export function openIdentityDatabase(file: string): Database.Database {
  const db = new Database(file);
  // Password hashes: readable by the owner only (SQLite gives the -wal and -shm files the same mode).
  chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // The CLI and the running server share the file; wait for each other's writes instead of failing.
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Local accounts for the built-in issuer: scrypt-hashed passwords. (`failed_attempts` and
 * `locked_until` are columns of the earlier account lock, kept so older data folders open; unused.)
 */
export function accountStore(options: { file: string; now?: () => number }): AccountStore {
  const now = options.now ?? Date.now;
  const db = openIdentityDatabase(options.file);
  db.exec(`
    CREATE TABLE IF NOT EXISTS accounts (
      id TEXT PRIMARY KEY,
      email TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      roles TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      failed_attempts INTEGER NOT NULL DEFAULT 0,
      locked_until INTEGER
    ) STRICT;
  `);

  const byEmail = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE email = ?');
  const byId = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE id = ?');
  const all = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, id');
  const insert = db.prepare(
    'INSERT INTO accounts (id, email, password_hash, roles, created_at) VALUES (@id, @email, @hash, @roles, @createdAt)',
  );
  const updateRoles = db.prepare('UPDATE accounts SET roles = ? WHERE id = ?');
  const deleteAccount = db.prepare('DELETE FROM accounts WHERE id = ?');
  const updatePassword = db.prepare('UPDATE accounts SET password_hash = ? WHERE id = ?');
  const updateEmail = db.prepare('UPDATE accounts SET email = ? WHERE id = ?');

  const toAccount = (row: AccountRow): Account => ({
    id: row.id,
    email: row.email,
    roles: parse(Roles, JSON.parse(row.roles)),
    createdAt: row.created_at,
  });

  const insertAccount = (email: string, hash: string, roles: Role[]): Account => {
    if (byEmail.get(email)) throw conflict('an account with this email already exists');
    const createdAt = now();
    const account: Account = { id: newId(createdAt), email, roles: [...new Set(roles)], createdAt };
    try {
      insert.run({ id: account.id, email, hash, roles: JSON.stringify(account.roles), createdAt });
    } catch (error) {
      // Another process took the address meanwhile.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw conflict('an account with this email already exists');
      throw error;
    }
    return account;
  };

  return {
    async create(input) {
      const { email, password, roles } = parse(NewAccount, input);
      // Hash first: a taken address takes as long to refuse as a new one takes to register.
      const hash = await hashPassword(password);
      return insertAccount(email, hash, roles);
    },

    createWithPasswordHash(input) {
      const { email, passwordHash, roles } = parse(HashedAccount, input);
      return insertAccount(email, passwordHash, roles);
    },

    list: () => all.all().map(toAccount),

    findByEmail(email) {
      const row = byEmail.get(normaliseEmail(email));
      return row ? toAccount(row) : undefined;
    },

    findById(id) {
      const row = byId.get(id);
      return row ? toAccount(row) : undefined;
    },

    setRoles(id, roles) {
      const valid = parse(Roles, roles);
      const changed = updateRoles.run(JSON.stringify([...new Set(valid)]), id);
      if (changed.changes === 0) throw notFound('account');
      return toAccount(byId.get(id)!);
    },

    async setPassword(id, password) {
      const hash = await hashPassword(parse(Password, password));
      if (updatePassword.run(hash, id).changes === 0) throw notFound('account');
      return toAccount(byId.get(id)!);
    },

    changeEmail(id, email) {
      const address = parse(Email, email);
      const owner = byEmail.get(address);
      if (owner && owner.id !== id) throw conflict('an account with this email already exists');
      try {
        if (updateEmail.run(address, id).changes === 0) throw notFound('account');
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw conflict('an account with this email already exists');
        throw error;
      }
      return toAccount(byId.get(id)!);
    },

    async passwordMatches(id, password) {
      const row = byId.get(id);
      if (!row) {
        await spendPasswordCheck(password);
        return false;
      }
      return passwordMatches(password, row.password_hash);
    },

    remove: (id) => deleteAccount.run(id).changes > 0,

    async verifyPassword(email, password) {
      const row = byEmail.get(normaliseEmail(email));
      if (!row) {
        await spendPasswordCheck(password);
        return { ok: false, reason: 'wrong_credentials' };
      }
      if (await passwordMatches(password, row.password_hash)) return { ok: true, account: toAccount(row) };
      return { ok: false, reason: 'wrong_credentials' };
    },

    close: () => db.close(),
  };
}
