import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StandaloneConfig } from '#shared/config.js';
import { silentLogger } from '#shared/log.js';
import { BackupManifest } from './backup.js';
import { startStandalone } from './server.js';
import type { Standalone } from './server.js';
import { account, api, cli, play, publishTitle, purchase, putPart, token, until } from './test/durability-support.js';
import type { UploadStart } from './test/durability-support.js';

const folders: string[] = [];
const folder = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kinema-${prefix}-`));
  folders.push(dir);
  return dir;
};
const servers: Standalone[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const start = async (dataDir: string, port = 0, devClock = false) => {
  const server = await startStandalone(
    StandaloneConfig.parse({
      PORT: String(port),
      HOST: '127.0.0.1',
      KINEMA_DATA: dataDir,
      ...(port ? { KINEMA_PUBLIC_URL: `http://localhost:${port}` } : {}),
      KINEMA_LOG_LEVEL: 'silent',
      ...(devClock ? { KINEMA_DEV_CLOCK: '1' } : {}),
    }),
    silentLogger,
  );
  servers.push(server);
  return server;
};

const HOUR = 3600_000;

/** The durable timers of a data folder (timers.db), read beside the server (WAL). */
const timers = (dataDir: string) => {
  const db = new Database(join(dataDir, 'timers.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { name: string; due_at: number }>('SELECT name, due_at FROM timers ORDER BY name').all();
  } finally {
    db.close();
  }
};

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('kinema backup and restore', () => {
  it('backs up a server while it writes, restores into an empty folder, and the restored server has it all and plays', async () => {
    const source = folder('backup-source');
    const kinema = await start(source);
    const url = kinema.url;
    const adminToken = await account(source, url, 'admin@example.com', true);
    const admin = api(url, adminToken);
    const renter = api(url, await account(source, url, 'renter@example.com'));
    const subscriber = api(url, await account(source, url, 'subscriber@example.com'));

    // A processed, published title; a rental of it; a monthly plan; drafts in the catalog.
    const title = await publishTitle(admin, { title: '復元される作品', priceJpy: 300 });
    // The renter's email goes on file with the notification service (it learns it on first visit).
    expect(await renter('GET', '/api/notification/me')).toMatchObject({ email: 'renter@example.com' });
    expect(await purchase(renter, url, { kind: 'rental', videoId: title })).toBe(true);
    const { rentals: bought } = await renter<{ rentals: { videoId: string; purchasedAt: string }[] }>(
      'GET',
      '/api/entitlement/me',
    );
    const purchasedAt = Date.parse(bought.find((rental) => rental.videoId === title)!.purchasedAt);
    // The notification service scheduled the reminder: one durable timer, due at purchase + 43 h.
    const pending = await until('the reminder timer', async () => {
      const rows = timers(source);
      return rows.length > 0 ? rows : undefined;
    });
    expect(pending).toEqual([expect.objectContaining({ due_at: purchasedAt + 43 * HOUR })]);

    // Likes: three viewers like the title, one takes it back (engagement learns of it by event first).
    const likePath = `/api/engagement/videos/${title}/like`;
    await until('the title likeable', async () =>
      (await renter.raw('PUT', likePath)).status === 200 ? true : undefined,
    );
    await subscriber('PUT', likePath);
    await admin('PUT', likePath);
    expect(await admin('DELETE', likePath)).toEqual({ count: 2, liked: false });
    expect(await purchase(subscriber, url, { kind: 'subscription' })).toBe(true);
    const drafts: string[] = [];
    for (const name of ['草稿一', '草稿二']) {
      drafts.push(
        (await admin<{ videoId: string }>('POST', '/api/catalog/videos', { title: name, priceJpy: 100 })).videoId,
      );
    }

    // An upload under way: one part received of two; it resumes on the restored server.
    const uploading = drafts[0]!;
    const upload = await admin<UploadStart>('POST', `/api/catalog/videos/${uploading}/upload`, {
      size: 12 * 1024 ** 2,
      contentType: 'video/mp4',
    });
    const firstPart = upload.parts[0]!;
    const partEtag = await putPart(firstPart.url, new Uint8Array(upload.partSize).fill(7));

    // The backup runs while catalog writes keep coming: every write acknowledged before it began is in it.
    const acknowledged: string[] = [];
    let writing = true;
    const load = (async () => {
      for (let i = 0; writing; i++) {
        const created = await admin<{ videoId: string }>('POST', '/api/catalog/videos', {
          title: `load ${i}`,
          priceJpy: 100 + i,
        });
        acknowledged.push(created.videoId);
      }
    })();
    while (acknowledged.length < 5) await new Promise((done) => setTimeout(done, 20));
    const beforeBackup = [...acknowledged];
    expect(timers(source)).toEqual(pending); // still pending as the backup starts
    const backupDir = join(folder('backup'), 'nightly');
    const backup = await cli(source, url, 'backup', backupDir);
    const duringBackup = acknowledged.length - beforeBackup.length;
    writing = false;
    await load;
    expect(backup).toMatchObject({ code: 0, err: '' });
    expect(backup.out).toMatch(/^backed up .* into .*nightly: \d+ files \(\d+ databases, [\d.]+ MiB\)/);
    expect(duringBackup).toBeGreaterThan(0); // the server really was writing meanwhile

    // The manifest lists every database (found, not named) and the keys, with checksums that hold.
    const manifest = BackupManifest.parse(JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')));
    expect(manifest.kinemaVersion).toMatch(/^\d+\.\d+\.\d+/);
    const databases = manifest.files.filter((file) => file.kind === 'sqlite').map((file) => file.path);
    const onDisk = readdirSync(source).filter((name) => name.endsWith('.db'));
    expect(databases.sort()).toEqual(onDisk.sort());
    expect(databases).toEqual(expect.arrayContaining(['catalog.db', 'entitlement.db', 'identity.db', 'bus.db']));
    const paths = manifest.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'secrets.json',
        'cloudfront-keys.json',
        'identity/signing-key.jwk.json',
        'identity/cookie-secret',
      ]),
    );
    expect(paths.some((path) => path.startsWith('objects/objects/') && path.endsWith('master.m3u8'))).toBe(true);
    expect(paths.some((path) => /-(wal|shm)$/.test(path) || path.startsWith('media-work/'))).toBe(false);
    expect(paths).not.toContain('kinema.lock');
    for (const file of manifest.files) {
      expect(sha256(join(backupDir, 'data', file.path)), file.path).toBe(file.sha256);
    }

    // Refusals change nothing: a folder in use, a folder not empty, a backup over a backup.
    const inUse = await cli(source, url, 'restore', backupDir);
    expect(inUse.code).toBe(3);
    expect(inUse.err).toMatch(/in use: stop the Kinema server first/);
    const busy = folder('not-empty');
    writeFileSync(join(busy, 'notes.txt'), 'keep me');
    expect(await cli(busy, undefined, 'restore', backupDir)).toMatchObject({ code: 3, err: /is not empty/ });
    expect(readdirSync(busy)).toEqual(['notes.txt']);
    expect(await cli(source, url, 'backup', backupDir)).toMatchObject({ code: 3, err: /is not empty/ });
    expect(await cli(source, url, 'backup')).toMatchObject({ code: 2 });
    expect(await cli(folder('empty'), undefined, 'restore', busy)).toMatchObject({ code: 1, err: /no manifest\.json/ });

    // A damaged copy is refused whole: nothing of it is left in the target.
    const damaged = join(folder('damaged'), 'copy');
    cpSync(backupDir, damaged, { recursive: true });
    const victim = join(damaged, 'data', 'catalog.db');
    const bytes = readFileSync(victim);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(victim, bytes);
    const target = folder('damaged-target');
    const refused = await cli(target, undefined, 'restore', damaged);
    expect(refused.code).toBe(4);
    expect(refused.err).toMatch(/catalog\.db in the backup does not match its manifest/);
    expect(readdirSync(target).filter((name) => name !== 'kinema.lock')).toEqual([]);

    // Stop the source; restore into a new empty folder; start a server on it at the same address.
    const port = kinema.port;
    await kinema.close();
    const restoredDir = join(folder('restored'), 'data');
    const restored = await cli(restoredDir, undefined, 'restore', backupDir);
    expect(restored).toMatchObject({ code: 0, err: '' });
    expect(restored.out).toMatch(/^restored .* into .*: \d+ files/);
    expect(timers(restoredDir)).toEqual(pending);
    const again = await start(restoredDir, port, true);
    expect(await cli(restoredDir, undefined, 'restore', backupDir)).toMatchObject({ code: 3 });

    // Tokens made before the backup still verify (the signing key came back); fetch may first
    // reuse a keep-alive socket the stopped server closed, so the first call is sent once more.
    const first = () => admin.raw('GET', `/api/catalog/videos/${title}`);
    const titleAnswer = await first().catch(first);
    expect(titleAnswer.status).toBe(200);
    expect(await titleAnswer.json()).toMatchObject({ title: '復元される作品', status: 'ready', published: true });
    for (const id of [...drafts, ...beforeBackup]) {
      expect((await admin.raw('GET', `/api/catalog/videos/${id}`)).status, id).toBe(200);
    }
    expect(await admin('GET', `/api/media/videos/${title}`)).toMatchObject({ state: 'ready' });
    const resumed = await admin<{ parts: { partNumber: number; etag: string }[]; missing: unknown[] }>(
      'GET',
      `/api/catalog/videos/${uploading}/upload?uploadId=${upload.uploadId}`,
    );
    expect(resumed.parts).toEqual([expect.objectContaining({ partNumber: firstPart.partNumber, etag: partEtag })]);
    expect(resumed.missing).toHaveLength(upload.parts.length - 1);
    const rentals = await renter<{ rentals: { videoId: string }[] }>('GET', '/api/entitlement/me');
    expect(rentals.rentals.map((rental) => rental.videoId)).toEqual([title]);
    expect(await subscriber('GET', '/api/entitlement/me')).toMatchObject({ plan: 'unlimited' });
    expect(await renter('POST', '/api/entitlement/access', { videoIds: [title] })).toMatchObject({
      [title]: { canWatch: true, reason: 'rental' },
    });

    // The restored title plays: signed cookies from the restored key, HLS through the media edge.
    const played = await play(renter, title);
    expect(played.master).toMatch(/^#EXTM3U/);
    expect(played.master).toContain('#EXT-X-STREAM-INF');
    expect(played.segmentBytes).toBeGreaterThan(1000);
    expect(again.url).toBe(url);

    // The likes came back: the count and each viewer's own state.
    expect(await renter('GET', `/api/engagement/videos/${title}/likes`)).toEqual({ count: 2, liked: true });
    expect(await subscriber('GET', `/api/engagement/videos/${title}/likes`)).toEqual({ count: 2, liked: true });
    expect(await admin('GET', `/api/engagement/videos/${title}/likes`)).toEqual({ count: 2, liked: false });

    // The reminder is still pending on the restored server, and fires there at purchase + 43 h:
    // the dev clock jumps to 1 minute before (nothing), then past it (exactly one email).
    expect(timers(restoredDir)).toEqual(pending);
    const asAdmin = async () => api(url, await token(restoredDir, url, 'admin@example.com')); // tokens follow the clock
    const clockTo = async (at: number) => {
      const file = join(restoredDir, 'dev-clock.json');
      const offset = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { offsetMs: number }).offsetMs : 0;
      const answer = await (
        await asAdmin()
      )<{ now: string }>('POST', '/api/_dev/clock', {
        advanceMs: Math.max(1, at - (Date.now() + offset)),
      });
      return Date.parse(answer.now);
    };
    const outbox = async () =>
      (await (await asAdmin())<{ items: { to: string; subject: string }[] }>('GET', '/api/notification/outbox')).items;
    expect(await clockTo(purchasedAt + 43 * HOUR - 60_000)).toBeLessThan(purchasedAt + 43 * HOUR);
    // Absence cannot be polled for: give a wrongly early timer a moment to show itself.
    await new Promise((done) => setTimeout(done, 1000));
    expect(await outbox()).toEqual([]);
    expect(timers(restoredDir)).toHaveLength(1);
    expect(await clockTo(purchasedAt + 43 * HOUR + 1000)).toBeGreaterThanOrEqual(purchasedAt + 43 * HOUR);
    const sent = await until('the reminder in the outbox', async () => {
      const items = await outbox();
      return items.length > 0 ? items : undefined;
    });
    expect(sent).toEqual([expect.objectContaining({ to: 'renter@example.com' })]);
    expect(sent[0]!.subject).toContain('復元される作品');
    await until('the fired timer gone', async () => (timers(restoredDir).length === 0 ? true : undefined));
    expect(await outbox()).toHaveLength(1);
  }, 300_000);
});
