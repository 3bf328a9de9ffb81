import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountStore } from '#platform/local/identity/accounts.js';
import type { AccountStore } from '#platform/local/identity/accounts.js';
import { localUserDirectory } from '#platform/local/identity/user-directory.js';
import { entitlementHarness } from './support.js';
import type { EntitlementHarness } from './support.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function setup(): Promise<{ h: EntitlementHarness; accounts: AccountStore; ids: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-users-'));
  const accounts = accountStore({ file: join(dir, 'identity.db') });
  const h = await entitlementHarness({ users: localUserDirectory(accounts) });
  cleanups.push(() => {
    h.close();
    accounts.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ids: Record<string, string> = {};
  for (const [name, roles] of [
    ['boss', ['admin', 'viewer']],
    ['hana', ['viewer']],
    ['hanako', ['viewer']],
    ['taro', ['viewer']],
  ] as const) {
    ids[name] = (
      await accounts.create({ email: `${name}@example.jp`, password: 'correct horse', roles: [...roles] })
    ).id;
  }
  return { h, accounts, ids };
}

const asAdmin = (userId: string) => ({ as: userId, roles: ['admin' as const, 'viewer' as const] });

describe('user management (admin), on the local identity', () => {
  it('lists and searches by email, pages with a cursor', async () => {
    const { h, ids } = await setup();
    const all = (await (await h.call('GET', '/admin/users', asAdmin(ids.boss!))).json()) as {
      items: { email: string; roles: string[] }[];
    };
    expect(all.items.map((user) => user.email)).toEqual([
      'boss@example.jp',
      'hana@example.jp',
      'hanako@example.jp',
      'taro@example.jp',
    ]);
    const search = (await (await h.call('GET', '/admin/users?email=HANA&limit=1', asAdmin(ids.boss!))).json()) as {
      items: { email: string }[];
      nextCursor: string;
    };
    expect(search.items.map((user) => user.email)).toEqual(['hana@example.jp']);
    const next = (await (
      await h.call('GET', `/admin/users?email=hana&limit=1&cursor=${search.nextCursor}`, asAdmin(ids.boss!))
    ).json()) as { items: { email: string }[]; nextCursor: string | null };
    expect(next).toMatchObject({ items: [{ email: 'hanako@example.jp' }], nextCursor: null });
    expect((await h.call('GET', '/admin/users', { as: ids.hana! })).status).toBe(403);
    expect((await h.call('GET', '/admin/users?cursor=zz', asAdmin(ids.boss!))).status).toBe(400);
  });

  it('grants and revokes admin; refuses revoking the last admin, their own role included (409 last_admin)', async () => {
    const { h, accounts, ids } = await setup();
    const own = await h.call('POST', `/admin/users/${ids.boss}/admin`, {
      ...asAdmin(ids.boss!),
      body: { admin: false },
    });
    expect(own.status).toBe(409);
    expect(await own.json()).toMatchObject({ error: { code: 'conflict', details: { reason: 'last_admin' } } });
    expect(accounts.findById(ids.boss!)?.roles).toContain('admin');

    const grant = await h.call('POST', `/admin/users/${ids.hana}/admin`, {
      ...asAdmin(ids.boss!),
      body: { admin: true },
    });
    expect(grant.status).toBe(200);
    expect(await grant.json()).toMatchObject({ user: { email: 'hana@example.jp', roles: ['viewer', 'admin'] } });
    expect(accounts.findById(ids.hana!)?.roles).toEqual(['viewer', 'admin']);
    // Now that there are two, the boss may step down.
    const stepDown = await h.call('POST', `/admin/users/${ids.boss}/admin`, {
      ...asAdmin(ids.boss!),
      body: { admin: false },
    });
    expect(await stepDown.json()).toMatchObject({ user: { roles: ['viewer'] } });
    // Bad input changes nothing.
    expect(
      (await h.call('POST', `/admin/users/${ids.taro}/admin`, { ...asAdmin(ids.hana!), body: { admin: 'yes' } }))
        .status,
    ).toBe(400);
    expect(
      (await h.call('POST', '/admin/users/nobody/admin', { ...asAdmin(ids.hana!), body: { admin: true } })).status,
    ).toBe(404);
    expect(
      (await h.call('POST', '/admin/users/..%2F..%2Fetc/admin', { ...asAdmin(ids.hana!), body: { admin: true } }))
        .status,
    ).toBe(400);
    expect(accounts.findById(ids.taro!)?.roles).toEqual(['viewer']);
  });

  it('closes an account (AccountClosed in the outbox, then deleted); never its own', async () => {
    const { h, accounts, ids } = await setup();
    const own = await h.call('POST', `/admin/users/${ids.boss}/close`, {
      ...asAdmin(ids.boss!),
      body: { confirm: 'close' },
    });
    expect(await own.json()).toMatchObject({ error: { code: 'conflict', details: { reason: 'own_account' } } });
    expect((await h.call('POST', `/admin/users/${ids.taro}/close`, { ...asAdmin(ids.boss!), body: {} })).status).toBe(
      400,
    );
    const closed = await h.call('POST', `/admin/users/${ids.taro}/close`, {
      ...asAdmin(ids.boss!),
      body: { confirm: 'close' },
    });
    expect(await closed.json()).toEqual({ closed: true });
    expect(accounts.findById(ids.taro!)).toBeUndefined();
    expect(h.outbox().filter((event) => event['detail-type'] === 'AccountClosed')).toEqual([
      expect.objectContaining({ source: 'kinema.identity', detail: { userId: ids.taro } }),
    ]);
  });

  it('answers 503 where no directory is configured', async () => {
    const h = await entitlementHarness();
    cleanups.push(() => h.close());
    expect((await h.call('GET', '/admin/users', asAdmin('boss'))).status).toBe(503);
  });
});
