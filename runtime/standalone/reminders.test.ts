import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStripePayload } from '#platform/local/sandbox-payments.js';
import { loadOrCreateSecrets } from '#platform/local/secrets.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { StandaloneConfig } from '#shared/config.js';
import { silentLogger } from '#shared/log.js';
import type { OutboxEntry } from '#services/notification/src/http.js';
import { runCli } from './cli.js';
import { startStandalone } from './server.js';
import type { Standalone } from './server.js';

/**
 * Issue 11's "done when", on the standalone server with the dev clock, over HTTP: a viewer rents a
 * title; at +42 h 59 m no email exists; at +43 h exactly one, in their language with the expiry in
 * their time zone; a refund before +43 h leaves none; a restart between purchase and +43 h changes
 * nothing; after +48 h playback is refused. The one shortcut: the title is marked `ready` in the
 * catalog's file instead of being transcoded (the media pipeline has its own tests).
 */
const HOUR = 3600_000;
const MINUTE = 60_000;
const CARD = '4242 4242 4242 4242';

describe('rental reminders on the standalone server', () => {
  let dir: string;
  let kinema: Standalone;
  const start = () =>
    startStandalone(
      StandaloneConfig.parse({ PORT: '0', HOST: '127.0.0.1', KINEMA_DATA: dir, KINEMA_DEV_CLOCK: '1' }),
      silentLogger,
    );
  const cli = async (...argv: string[]) => {
    let out = '';
    const code = await runCli(
      argv,
      { KINEMA_DATA: dir, KINEMA_PUBLIC_URL: kinema.url },
      {
        out: (t) => (out += t),
        err: (t) => (out += t),
      },
    );
    if (code !== 0) throw new Error(`kinema ${argv.join(' ')} exited ${code}: ${out}`);
    return out.trim();
  };
  /** Tokens follow the dev clock, so each call mints a fresh one (the CLI reads the clock's file). */
  const as = async (email: string) => ({ authorization: `Bearer ${await cli('token', '--email', email)}` });
  const call = async (email: string | undefined, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${kinema.url}${path}`, {
      method,
      headers: {
        ...(email ? await as(email) : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** Moves the dev clock to `at` (never back) and returns the server's new now. */
  const clockTo = async (at: number) => {
    const file = join(dir, 'dev-clock.json');
    const offset = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { offsetMs: number }).offsetMs : 0;
    const now = Date.now() + offset;
    const { body } = await call('admin@kinema.test', 'POST', '/api/_dev/clock', { advanceMs: Math.max(1, at - now) });
    return Date.parse(body.now as string);
  };
  const serverNow = async () => clockTo(0);
  const outbox = async () =>
    (await call('admin@kinema.test', 'GET', '/api/notification/outbox')).body.items as OutboxEntry[];
  const pendingTimers = () => {
    const db = new Database(join(dir, 'timers.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM timers').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  async function publishedTitle(title: string) {
    const created = await call('admin@kinema.test', 'POST', '/api/catalog/videos', {
      title,
      description: 'リマインダーのテスト用の作品',
      cast: [],
      genres: [],
      priceJpy: 400,
    });
    expect(created.status).toBe(201);
    const videoId = String(created.body.videoId);
    const catalog = sqliteTable({ file: join(dir, 'catalog.db'), now: Date.now });
    await catalog.update({ pk: `video#${videoId}`, sk: 'video' }, { set: { status: 'ready' } });
    catalog.close();
    expect((await call('admin@kinema.test', 'POST', `/api/catalog/videos/${videoId}/publish`)).status).toBe(200);
    return videoId;
  }

  /** Checkout and pay on the sandbox page; resolves once the rental is recorded. */
  async function rent(email: string, videoId: string) {
    const checkout = await until('the title on sale', async () => {
      const response = await call(email, 'POST', '/api/entitlement/checkout', { kind: 'rental', videoId });
      return response.status === 200 ? (response.body.checkoutUrl as string) : undefined;
    });
    const paid = await fetch(checkout, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'pay', card: CARD }).toString(),
    });
    expect(paid.status).toBe(303);
    const me = (await call(email, 'GET', '/api/entitlement/me')).body;
    const rentals = me.rentals as { videoId: string; purchasedAt: string }[];
    const rental = rentals.find((r) => r.videoId === videoId)!;
    return { sessionId: checkout.split('/').at(-1)!, purchasedAt: Date.parse(rental.purchasedAt) };
  }

  /** A full refund from the "Stripe dashboard": charge.refunded, signed with the sandbox's secret. */
  async function refund(sessionId: string) {
    const secret = loadOrCreateSecrets(join(dir, 'secrets.json')).sandboxWebhookSecret;
    const now = await serverNow();
    const body = JSON.stringify({
      id: `evt_test_refund_${sessionId}`,
      object: 'event',
      api_version: '2025-11-17.clover',
      created: Math.floor(now / 1000),
      livemode: false,
      type: 'charge.refunded',
      data: {
        object: {
          id: `ch_sandbox_${sessionId}`,
          object: 'charge',
          amount: 400,
          amount_refunded: 400,
          refunded: true,
          currency: 'jpy',
          payment_intent: `pi_sandbox_${sessionId}`,
        },
      },
    });
    const response = await fetch(`${kinema.url}/api/entitlement/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signStripePayload(body, secret, Math.floor(now / 1000)),
      },
      body,
    });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kinema-reminders-'));
    kinema = await start();
    await cli('users', 'add', '--email', 'admin@kinema.test', '--password', 'admin-password-1', '--role', 'admin');
    await cli('users', 'add', '--email', 'viewer@kinema.test', '--password', 'viewer-password-1');
    await cli('users', 'add', '--email', 'refunded@kinema.test', '--password', 'viewer-password-2');
  }, 120_000);

  afterAll(async () => {
    await kinema?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one email at +43 h in the viewer’s language and zone; none after a refund; a restart changes nothing', async () => {
    // The viewer reads English and lives in Los Angeles; the other keeps the defaults (ja, Tokyo).
    const settings = await call('viewer@kinema.test', 'PUT', '/api/notification/me', {
      language: 'en',
      timeZone: 'America/Los_Angeles',
    });
    expect(settings).toMatchObject({ status: 200, body: { email: 'viewer@kinema.test', language: 'en' } });
    expect((await call('refunded@kinema.test', 'GET', '/api/notification/me')).body.email).toBe('refunded@kinema.test');

    const kept = await publishedTitle('Harbour Lights 港の灯り');
    const refunded = await publishedTitle('山の朝');
    const rental = await rent('viewer@kinema.test', kept);
    const other = await rent('refunded@kinema.test', refunded);
    await until('both reminders scheduled', async () => (pendingTimers() === 2 ? true : undefined));

    await clockTo(other.purchasedAt + 20 * HOUR);
    await refund(other.sessionId);
    await until('the refunded rental’s reminder deleted', async () => (pendingTimers() === 1 ? true : undefined));

    // A restart between purchase and +43 h.
    await kinema.close();
    kinema = await start();

    await clockTo(rental.purchasedAt + 42 * HOUR + 59 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await outbox()).toEqual([]);

    await clockTo(rental.purchasedAt + 43 * HOUR);
    const [first, ...more] = await until(
      'the reminder in the outbox',
      async () => {
        const items = await outbox();
        return items.length > 0 ? items : undefined;
      },
      2000,
    );
    expect(more).toEqual([]);
    const email = first!;
    expect(email).toMatchObject({
      to: 'viewer@kinema.test',
      subject: 'Less than 5 hours left to watch “Harbour Lights 港の灯り”',
    });
    // The expiry in Los Angeles time, as an English reader writes it.
    const expiry = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/Los_Angeles',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }).format(new Date(rental.purchasedAt + 48 * HOUR));
    expect(email.text).toContain(expiry);
    expect(email.text).toMatch(/GMT-8|PST/);
    expect(email.text).toContain(`${kinema.url}/videos/${kept}`);
    const eml = readFileSync(join(dir, 'outbox', email.file), 'utf8');
    expect(eml).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);

    // Nothing more comes: not for the refunded rental, not from a second firing.
    await clockTo(rental.purchasedAt + 47 * HOUR);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await outbox()).toHaveLength(1);
    expect(pendingTimers()).toBe(0);

    // Still watchable until +48 h, refused from then on.
    expect((await call('viewer@kinema.test', 'POST', `/api/entitlement/playback/${kept}`)).status).toBe(200);
    await clockTo(rental.purchasedAt + 48 * HOUR);
    const refused = await call('viewer@kinema.test', 'POST', `/api/entitlement/playback/${kept}`);
    expect(refused.status).toBe(402);
  }, 120_000);

  it('closing the account emits identity.AccountClosed and deletes the pending reminder', async () => {
    await cli('users', 'add', '--email', 'leaving@kinema.test', '--password', 'leaving-password-1');
    await call('leaving@kinema.test', 'GET', '/api/notification/me');
    const title = await publishedTitle('去る人');
    const before = pendingTimers();
    await rent('leaving@kinema.test', title);
    await until('the reminder scheduled', async () => (pendingTimers() === before + 1 ? true : undefined));
    const headers = await as('leaving@kinema.test');
    const bad = await fetch(`${kinema.url}/api/identity/me/close`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(bad.status).toBe(400);
    expect(pendingTimers()).toBe(before + 1);
    const closed = await fetch(`${kinema.url}/api/identity/me/close`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ confirm: 'close' }),
    });
    expect(closed.status).toBe(200);
    await until('the reminder deleted', async () => (pendingTimers() === before ? true : undefined));
    expect(await cli('users', 'list')).not.toContain('leaving@kinema.test');
    // What receipts need stays: the paid rental is still in the entitlement service's records.
    const entitlement = new Database(join(dir, 'entitlement.db'), { readonly: true, fileMustExist: true });
    const kept = entitlement
      .prepare("SELECT count(*) AS n FROM items WHERE body LIKE '%' || ? || '%' AND body LIKE '%amountJpy%'")
      .get(title) as { n: number };
    entitlement.close();
    expect(kept.n).toBeGreaterThan(0);
  }, 60_000);

  it('`kinema reminders reconcile` rebuilds lost timers from the rentals, idempotently', async () => {
    await cli('users', 'add', '--email', 'again@kinema.test', '--password', 'again-password-1');
    await call('again@kinema.test', 'GET', '/api/notification/me');
    const title = await publishedTitle('再び');
    await rent('again@kinema.test', title);
    await until('the reminder scheduled', async () => (pendingTimers() === 1 ? true : undefined));
    // The timers are lost (a failover, a restore without timers.db)...
    const db = new Database(join(dir, 'timers.db'));
    db.prepare('DELETE FROM timers').run();
    db.close();
    expect(pendingTimers()).toBe(0);
    expect(await cli('reminders', 'reconcile')).toBe(
      'reminders reconciled: 1 titles, 1 scheduled, 0 sent now, 0 cancelled',
    );
    expect(await cli('reminders', 'reconcile')).toBe(
      'reminders reconciled: 1 titles, 1 scheduled, 0 sent now, 0 cancelled',
    );
    expect(pendingTimers()).toBe(1);
  }, 60_000);
});
