import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { account, api, publishTitle, purchase, putPart, token, until, userIdOf } from './test/durability-support.js';
import type { Api, UploadStart } from './test/durability-support.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** `npm start` as a child process, so that it can be killed for real. */
async function startServer(dataDir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/standalone/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      KINEMA_DATA: dataDir,
      KINEMA_PUBLIC_URL: `http://localhost:${port}`,
      KINEMA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer) => (text = (text + chunk.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${text}`);
    const ok = await fetch(`http://localhost:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
      .then((response) => response.status === 200)
      .catch(() => false);
    if (ok) return { child, output: () => text };
    if (Date.now() > deadline) throw new Error(`the server did not come up:\n${text}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

const children: ChildProcess[] = [];
const folders: string[] = [];
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  }
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/**
 * One viewer's likes of the title, as the client saw them: the state its last acknowledged request
 * set, how many changes were acknowledged, and the action still in flight when the server died
 * (it may or may not have committed: the client never heard).
 */
interface Liker {
  email: string;
  userId: string;
  api: Api;
  acked: boolean;
  ackedChanges: number;
  inFlight?: boolean;
}

interface AckedPart {
  videoId: string;
  uploadId: string;
  partNumber: number;
  etag: string;
}

/** Runs `step` again and again until told to stop or until a request fails (the server died). */
function loop(step: (i: number) => Promise<void>): { stop(): void; done: Promise<number> } {
  let running = true;
  const done = (async () => {
    let i = 0;
    try {
      for (; running; i++) await step(i);
    } catch {
      // the server was killed under this request: it was never acknowledged
    }
    return i;
  })();
  return { stop: () => (running = false), done };
}

const items = (db: Database.Database, like: string) =>
  db
    .prepare<[string], { body: string }>('SELECT body FROM items WHERE pk LIKE ?')
    .all(like)
    .map((row) => JSON.parse(row.body) as Record<string, unknown>);
const outbox = (db: Database.Database, type: string) =>
  db
    .prepare<[], { envelope: string }>('SELECT envelope FROM outbox')
    .all()
    .map((row) => JSON.parse(row.envelope) as { 'detail-type': string; detail: Record<string, unknown> })
    .filter((envelope) => envelope['detail-type'] === type);

describe('a standalone server killed by SIGKILL in the middle of a write load', () => {
  it('comes back with every acknowledged write and no half-applied transaction', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kinema-crash-'));
    folders.push(dataDir);
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const first = await startServer(dataDir, port);
    children.push(first.child);

    const admin = api(url, await account(dataDir, url, 'admin@example.com', true));
    const title = await publishTitle(admin, { title: '停電の夜', priceJpy: 300 });
    const viewers: { email: string; api: Api }[] = [];
    for (let i = 0; i < 24; i++) {
      const email = `viewer${i}@example.com`;
      viewers.push({ email, api: api(url, await account(dataDir, url, email)) });
    }

    const likers: Liker[] = [];
    for (let i = 0; i < 6; i++) {
      const email = `liker${i}@example.com`;
      const bearer = await account(dataDir, url, email);
      likers.push({ email, userId: userIdOf(bearer), api: api(url, bearer), acked: false, ackedChanges: 0 });
    }
    // Engagement learns of the publication from the catalog's event: wait until a like is taken.
    const first0 = likers[0]!;
    await until('the title likeable', async () => {
      const response = await first0.api.raw('PUT', `/api/engagement/videos/${title}/like`);
      await response.arrayBuffer();
      return response.status === 200 ? true : undefined;
    });
    first0.acked = true;
    first0.ackedChanges = 1;

    // The load: catalog writes, multipart part uploads, sandbox purchases, likes, all at once.
    const acked = { videos: [] as string[], parts: [] as AckedPart[], rentals: [] as string[], plans: [] as string[] };
    const likeFailures: string[] = [];
    let ackedLikes = 0;
    // Each liker toggles its like, one request at a time, so its last acknowledged action is its state.
    const likeLoads = likers.map((liker) =>
      loop(async () => {
        const like = !liker.acked;
        liker.inFlight = like;
        const response = await liker.api.raw(like ? 'PUT' : 'DELETE', `/api/engagement/videos/${title}/like`);
        const text = await response.text();
        if (response.status === 429) {
          // Refused by the rate limiter before the store: nothing changed; wait as told.
          liker.inFlight = undefined;
          await new Promise((done) => setTimeout(done, 1000 * Number(response.headers.get('retry-after') ?? 1)));
          return;
        }
        const body = JSON.parse(text) as { liked?: boolean };
        if (response.status !== 200 || body.liked !== like) {
          likeFailures.push(`${liker.email}: ${response.status} ${text}`);
          throw new Error(likeFailures.at(-1));
        }
        liker.acked = like;
        liker.ackedChanges++;
        liker.inFlight = undefined;
        ackedLikes++;
        await new Promise((done) => setTimeout(done, 100)); // about the limiter’s 10 per second
      }),
    );
    const catalog = loop(async (i) => {
      const { videoId } = await admin<{ videoId: string }>('POST', '/api/catalog/videos', {
        title: `crash load ${i}`,
        priceJpy: 100 + i,
      });
      acked.videos.push(videoId);
    });
    const chunk = randomBytes(16 * 1024 ** 2);
    const uploads = loop(async (i) => {
      const { videoId } = await admin<{ videoId: string }>('POST', '/api/catalog/videos', {
        title: `upload ${i}`,
        priceJpy: 100,
      });
      const started = await admin<UploadStart>('POST', `/api/catalog/videos/${videoId}/upload`, {
        size: 4 * 10 * 1024 ** 2,
        contentType: 'video/mp4',
      });
      await Promise.all(
        started.parts.map(async (part) => {
          const body = new Uint8Array(started.partSize);
          body.set(chunk.subarray(part.partNumber * 1024, part.partNumber * 1024 + started.partSize));
          const etag = await putPart(part.url, body);
          acked.parts.push({ videoId, uploadId: started.uploadId, partNumber: part.partNumber, etag });
        }),
      );
    });
    const buyers = [0, 1].map((lane) =>
      loop(async (i) => {
        const viewer = viewers[lane + 2 * i];
        if (!viewer) throw new Error('no viewer left');
        // Even viewers rent the title, odd ones take the monthly plan.
        const kind = (lane + 2 * i) % 2 === 0 ? 'rental' : 'subscription';
        const bought = await purchase(
          viewer.api,
          url,
          kind === 'rental' ? { kind: 'rental', videoId: title } : { kind: 'subscription' },
        );
        if (!bought) throw new Error(`the ${kind} of ${viewer.email} was not acknowledged`);
        (kind === 'rental' ? acked.rentals : acked.plans).push(viewer.email);
        // Spread the purchases over the load; once enough are acknowledged, slow down so the
        // viewers last until the other loads reach theirs (a busy machine makes those slower).
        const enough = acked.rentals.length + acked.plans.length >= 6;
        await new Promise((done) => setTimeout(done, enough ? 2_000 : 100));
      }),
    );

    // Kill once each kind of write has been acknowledged a few times, with more in flight.
    const deadline = Date.now() + 60_000;
    while (
      (acked.videos.length < 20 ||
        acked.parts.length < 4 ||
        acked.rentals.length + acked.plans.length < 6 ||
        ackedLikes < 30) &&
      Date.now() < deadline
    ) {
      await new Promise((done) => setTimeout(done, 10));
    }
    const exited = new Promise((done) => first.child.once('exit', done));
    first.child.kill('SIGKILL');
    await exited;
    const loads = [catalog, uploads, ...buyers, ...likeLoads];
    for (const load of loads) load.stop();
    await Promise.all(loads.map((load) => load.done));
    expect(acked.videos.length).toBeGreaterThanOrEqual(20);
    expect(acked.parts.length).toBeGreaterThanOrEqual(4);
    expect(acked.rentals.length + acked.plans.length).toBeGreaterThanOrEqual(6);
    // The buyers had viewers left: purchases were still under way when the server died.
    expect(acked.rentals.length + acked.plans.length).toBeLessThan(viewers.length);
    expect(likeFailures).toEqual([]);
    expect(ackedLikes).toBeGreaterThanOrEqual(30);

    // Restart on the same folder and address.
    const second = await startServer(dataDir, port);
    children.push(second.child);
    const adminAgain = api(url, await token(dataDir, url, 'admin@example.com'));

    // Every acknowledged catalog write is there.
    for (const videoId of acked.videos) {
      expect((await adminAgain.raw('GET', `/api/catalog/videos/${videoId}`)).status, videoId).toBe(200);
    }
    // Every acknowledged part is there with the ETag it was acknowledged with.
    for (const part of acked.parts) {
      const resumed = await adminAgain<{ parts: { partNumber: number; etag: string }[] }>(
        'GET',
        `/api/catalog/videos/${part.videoId}/upload?uploadId=${part.uploadId}`,
      );
      expect(resumed.parts, `${part.uploadId} part ${part.partNumber}`).toContainEqual(
        expect.objectContaining({ partNumber: part.partNumber, etag: part.etag }),
      );
    }
    // Every acknowledged purchase is watchable.
    for (const email of [...acked.rentals, ...acked.plans]) {
      const viewer = api(url, await token(dataDir, url, email));
      const access = await viewer<Record<string, { canWatch: boolean; reason: string }>>(
        'POST',
        '/api/entitlement/access',
        { videoIds: [title] },
      );
      expect(access[title], email).toMatchObject({
        canWatch: true,
        reason: acked.rentals.includes(email) ? 'rental' : 'subscription',
      });
    }

    // Every acknowledged like state is there: a viewer with nothing in flight has exactly its last
    // acknowledged state; one whose request died with the server has that or the in-flight one.
    const finalLiked = new Map<string, boolean>();
    let likedCount = -1;
    for (const liker of likers) {
      const viewer = api(url, await token(dataDir, url, liker.email));
      const state = await viewer<{ count: number; liked: boolean }>('GET', `/api/engagement/videos/${title}/likes`);
      const allowed = liker.inFlight === undefined ? [liker.acked] : [liker.acked, liker.inFlight];
      expect(allowed, `${liker.email} liked=${state.liked}`).toContain(state.liked);
      finalLiked.set(liker.userId, state.liked);
      likedCount = state.count;
    }
    // The count the API shows is the number of viewers who like the title.
    expect(likedCount).toBe([...finalLiked.values()].filter(Boolean).length);

    // No half-applied transaction: read the committed state itself (WAL lets us read beside the server).
    const open = (name: string) => new Database(join(dataDir, name), { readonly: true, fileMustExist: true });
    const entitlement = open('entitlement.db');
    const catalogDb = open('catalog.db');
    const sandbox = open('payments-sandbox.db');
    const engagement = open('engagement.db');
    try {
      // A like commits with its viewer item, its counter shard move and its LikeCountChanged event, or not at all.
      const partition = items(engagement, `video#${title}`);
      const likedItems = partition.filter((item) => String(item.sk).startsWith('viewer#'));
      const shards = partition.filter((item) => String(item.sk).startsWith('count#'));
      expect(new Set(likedItems.map((item) => String(item.sk).slice('viewer#'.length)))).toEqual(
        new Set([...finalLiked].filter(([, liked]) => liked).map(([userId]) => userId)),
      );
      expect(shards.reduce((sum, shard) => sum + Number(shard.count), 0)).toBe(likedItems.length);
      const changes = outbox(engagement, 'LikeCountChanged').filter((event) => event.detail.videoId === title);
      expect(changes.reduce((sum, event) => sum + Number(event.detail.delta), 0)).toBe(likedItems.length);
      for (const liker of likers) {
        const mine = changes.filter((event) => event.detail.userId === liker.userId);
        // The in-flight change committed iff the final state is not the last acknowledged one.
        const committedInFlight = finalLiked.get(liker.userId) !== liker.acked ? 1 : 0;
        expect(mine, liker.email).toHaveLength(liker.ackedChanges + committedInFlight);
        // Like, unlike, like…: each event is the change the viewer asked for, in order.
        expect(
          mine.map((event) => [event.detail.liked, event.detail.delta]),
          liker.email,
        ).toEqual(mine.map((_, i) => (i % 2 === 0 ? [true, 1] : [false, -1])));
      }

      // A rental commits with its payment link, its sales count and its RentalPurchased event, or not at all.
      const rentals = items(entitlement, 'user#%').filter((item) => String(item.sk).startsWith('rental#'));
      const purchased = outbox(entitlement, 'RentalPurchased').map((event) => event.detail.rentalId);
      const links = items(entitlement, 'payment#%');
      for (const rental of rentals) {
        expect(purchased, `RentalPurchased of ${String(rental.rentalId)}`).toContain(rental.rentalId);
        expect(links, `payment link of ${String(rental.rentalId)}`).toContainEqual(
          expect.objectContaining({ pk: `payment#${String(rental.paymentId)}`, rentalSk: rental.sk }),
        );
      }
      expect(purchased).toHaveLength(rentals.length);
      const sales = items(entitlement, 'sales').find((item) => item.sk === title);
      expect(sales?.purchases ?? 0).toBe(rentals.length);
      expect(rentals.length).toBeGreaterThanOrEqual(acked.rentals.length);

      // A paid sandbox session was either fulfilled or still holds its undelivered webhook.
      const undelivered = items(sandbox, 'sandbox-undelivered').map((item) => String(item.body));
      const paidRentals = items(sandbox, 'sandbox-session#%').filter(
        (session) => session.status === 'paid' && session.kind === 'rental',
      );
      for (const session of paidRentals) {
        const fulfilled = rentals.some((rental) => rental.paymentId === `pi_sandbox_${String(session.sessionId)}`);
        const pending = undelivered.some((body) => body.includes(`cs_sandbox_${String(session.sessionId)}`));
        expect(fulfilled || pending, `paid session ${String(session.sessionId)}`).toBe(true);
      }

      // Every video in the catalog committed with its VideoCreated event, and every event with its video.
      const videos = items(catalogDb, 'video#%').filter((item) => item.sk === 'video');
      const created = outbox(catalogDb, 'VideoCreated').map((event) => event.detail.videoId);
      expect(new Set(created)).toEqual(new Set(videos.map((video) => video.videoId)));
    } finally {
      entitlement.close();
      catalogDb.close();
      sandbox.close();
      engagement.close();
    }
  }, 300_000);
});
