import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountStore } from './accounts.js';
import type { AccountStore } from './accounts.js';
import { hashPassword, passwordMatches } from './password.js';

describe('password hashing', () => {
  it('salts each hash and verifies only the right password', async () => {
    const first = await hashPassword('パスワード12345');
    const second = await hashPassword('パスワード12345');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{86}$/);
    expect(await passwordMatches('パスワード12345', first)).toBe(true);
    expect(await passwordMatches('パスワード12346', first)).toBe(false);
    expect(await passwordMatches('anything', 'not-a-hash')).toBe(false);
  });
});

describe('account store', () => {
  let dir: string;
  let clock: number;
  let store: AccountStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-accounts-'));
    clock = Date.UTC(2030, 0, 1);
    store = accountStore({ file: join(dir, 'identity.db'), now: () => clock });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates accounts with normalised emails, viewer by default, and stores no plain password', async () => {
    const account = await store.create({ email: '  Ｖｉｅｗｅｒ@Example.COM ', password: 'long enough' });
    expect(account).toMatchObject({ email: 'viewer@example.com', roles: ['viewer'], createdAt: clock });
    expect(account.id).toMatch(/^[0-9a-z]{26}$/);
    expect(store.findByEmail('VIEWER@example.com')).toEqual(account);
    expect(store.findById(account.id)).toEqual(account);
    expect(store.list()).toEqual([account]);

    const db = new Database(join(dir, 'identity.db'), { readonly: true });
    const row = db.prepare('SELECT password_hash FROM accounts').get() as { password_hash: string };
    db.close();
    expect(row.password_hash).not.toContain('long enough');
    expect(row.password_hash.startsWith('scrypt$')).toBe(true);
  });

  it('keeps emails unique whatever their spelling', async () => {
    await store.create({ email: 'a@example.com', password: 'password1' });
    await expect(store.create({ email: 'A@EXAMPLE.com', password: 'password2' })).rejects.toMatchObject({
      code: 'conflict',
      status: 409,
    });
  });

  it('creates an account from a password hashed earlier (an emailed sign-up), once per address', async () => {
    const passwordHash = await hashPassword('chosen at sign-up');
    const account = store.createWithPasswordHash({ email: 'Later@Example.com', passwordHash });
    expect(account).toMatchObject({ email: 'later@example.com', roles: ['viewer'] });
    const check = await store.verifyPassword('later@example.com', 'chosen at sign-up');
    expect(check.ok && check.account.id).toBe(account.id);
    expect(() => store.createWithPasswordHash({ email: 'later@example.com', passwordHash })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    expect(() => store.createWithPasswordHash({ email: 'plain@example.com', passwordHash: 'hunter22' })).toThrow(
      expect.objectContaining({ code: 'invalid_input' }),
    );
  });

  it('rejects bad emails, weak or huge passwords and unknown roles as invalid input', async () => {
    await expect(store.create({ email: 'not-an-email', password: 'password1' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'enter a valid email address',
    });
    await expect(store.create({ email: 'b@example.com', password: 'short' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'the password must be at least 8 characters',
    });
    await expect(store.create({ email: 'b@example.com', password: 'x'.repeat(129) })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(
      store.create({ email: 'b@example.com', password: 'password1', roles: ['root' as 'admin'] }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    // Eight Japanese characters are eight characters.
    await expect(store.create({ email: 'c@example.com', password: 'あいうえおかきく' })).resolves.toBeTruthy();
    expect(store.list()).toHaveLength(1);
  });

  it('changes roles', async () => {
    const account = await store.create({ email: 'r@example.com', password: 'password1' });
    expect(store.setRoles(account.id, ['admin', 'viewer', 'admin']).roles).toEqual(['admin', 'viewer']);
    expect(() => store.setRoles('missing', ['viewer'])).toThrow(/not found/);
    expect(() => store.setRoles(account.id, [])).toThrow(/at least one role/);
  });

  it('removes a closed account: it no longer signs in, and its address is free again', async () => {
    const account = await store.create({ email: 'gone@example.com', password: 'password1' });
    expect(store.remove(account.id)).toBe(true);
    expect(store.remove(account.id)).toBe(false);
    expect(store.findById(account.id)).toBeUndefined();
    expect(await store.verifyPassword('gone@example.com', 'password1')).toEqual({
      ok: false,
      reason: 'wrong_credentials',
    });
    await expect(store.create({ email: 'gone@example.com', password: 'password2' })).resolves.toBeDefined();
  });

  it('verifies passwords and says nothing about unknown emails', async () => {
    const account = await store.create({ email: 'v@example.com', password: 'password1' });
    expect(await store.verifyPassword('V@example.com', 'password1')).toEqual({ ok: true, account });
    expect(await store.verifyPassword('v@example.com', 'password2')).toEqual({
      ok: false,
      reason: 'wrong_credentials',
    });
    expect(await store.verifyPassword('nobody@example.com', 'password1')).toEqual({
      ok: false,
      reason: 'wrong_credentials',
    });
  });

  it('never locks an account: the right password works after many wrong ones (throttling is per client, in front)', async () => {
    await store.create({ email: 'l@example.com', password: 'password1' });
    for (let i = 0; i < 20; i++) {
      expect(await store.verifyPassword('l@example.com', 'wrong')).toEqual({ ok: false, reason: 'wrong_credentials' });
    }
    expect(await store.verifyPassword('l@example.com', 'password1')).toMatchObject({ ok: true });
  });

  it('persists across reopening the file', async () => {
    const account = await store.create({ email: 'p@example.com', password: 'password1', roles: ['admin'] });
    store.close();
    store = accountStore({ file: join(dir, 'identity.db'), now: () => clock });
    expect(store.findByEmail('p@example.com')).toEqual(account);
    expect(await store.verifyPassword('p@example.com', 'password1')).toMatchObject({ ok: true });
  });
});
