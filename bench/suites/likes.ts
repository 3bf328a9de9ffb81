import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { signAccountToken } from '#platform/local/identity/access-token.js';
import { loadIdentitySecrets } from '#platform/local/identity/keys.js';
import { identityUrls } from '#platform/local/identity/urls.js';
import { publishTestVideo } from '#test/e2e/fixtures-video.js';
import type { Benchmark, Row } from '../lib.js';
import { freePort, repoRoot, startScript, stop, waitFor200 } from '../process.js';

const ACCOUNTS = 500;
const TOGGLES = 10_000;
const SUBSCRIBERS = 1000;
const LATENCY_LIKES = 30;
const LikeState = z.object({ count: z.number(), liked: z.boolean().optional() });

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One HTTP request over a keep-alive agent (node:http: cheaper per request than fetch). */
function request(agent: http.Agent, port: number, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end();
  });
}

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Like/unlike for `durationMs` with `concurrency` workers, spread over the accounts; returns req/s. */
async function likeThroughput(port: number, tokens: string[], videoId: string, concurrency = 50, durationMs = 5000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  let ok = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const n = sent++;
        const method = Math.floor(n / tokens.length) % 2 === 0 ? 'PUT' : 'DELETE';
        const answer = await request(agent, port, method, `/api/engagement/videos/${videoId}/like`, {
          authorization: `Bearer ${tokens[n % tokens.length]}`,
        });
        if (answer.status === 200) ok++;
      }
    }),
  );
  agent.destroy();
  return { rps: ok / ((performance.now() - started) / 1000), errors: sent - ok };
}

/** A live subscriber: an open SSE response whose `likes` frames are timed on arrival. */
function subscribe(port: number, videoId: string, onCount: (count: number, at: number) => void) {
  return new Promise<http.ClientRequest>((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: `/api/engagement/videos/${videoId}/live`, agent: false },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`live answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        let first = true;
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (!data) continue;
            onCount(LikeState.parse(JSON.parse(data)).count, at);
            if (first) {
              first = false;
              resolve(req);
            }
          }
        });
      },
    );
    req.on('error', reject);
  });
}

/**
 * Likes against the standalone server (`runtime/standalone/main.ts`: SQLite, the outbox
 * dispatcher, the SSE hub), on one published video:
 *
 * - 500 accounts toggle like/unlike concurrently, 10,000 requests in all: the final count must
 *   equal the accounts whose last answered action was a like, exactly;
 * - 1,000 live subscribers: from each like's response to its count reaching every subscriber
 *   (p50/p99 over 30 likes), against the like's own round trip; server memory per idle subscriber
 *   against per idle keep-alive connection;
 * - like throughput against a bare Hono route doing one SQLite write, same client, same run.
 */
export const likesBench: Benchmark = {
  name: 'likes',
  async run() {
    const rows: Row[] = [];
    const data = mkdtempSync(join(tmpdir(), 'kinema-bench-likes-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { KINEMA_DATA: data, PORT: String(port), KINEMA_PUBLIC_URL: url, KINEMA_LOG_LEVEL: 'warn' };
    // The server is restarted on the same data (the published video stays) so that each memory
    // figure is taken on a fresh process, not on a heap grown by the phase before.
    const start = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/standalone/main.ts'], {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      await waitFor200(`${url}/healthz`, performance.now(), 180_000);
      return child;
    };
    let server = await start();
    const subscribers: http.ClientRequest[] = [];
    try {
      // Tokens signed with the server's own issuer key, as `kinema token` does, for 500 accounts.
      const secrets = loadIdentitySecrets(data);
      const urls = identityUrls(url);
      const token = (id: string, roles: ('viewer' | 'admin')[] = ['viewer']) =>
        signAccountToken({
          account: { id, email: `${id}@bench.kinema.test`, roles, createdAt: Date.now() },
          issuer: urls.issuer,
          audience: urls.audience,
          key: secrets.privateKey,
          kid: secrets.kid,
          ttlSeconds: 3600,
          now: Date.now,
        });
      const admin = await token('bench-admin', ['admin']);
      const videoId = await publishTestVideo(
        { url, admin: { email: 'bench-admin@bench.kinema.test' }, dataDir: data },
        admin,
        { title: 'Likes bench' },
        { seconds: 2 },
      );
      let agent = new http.Agent({ keepAlive: true, maxSockets: ACCOUNTS });
      const likePath = `/api/engagement/videos/${videoId}/like`;
      // The catalog's VideoPublished reaches engagement through the dispatcher: wait for it.
      while ((await request(agent, port, 'GET', `/api/engagement/videos/${videoId}/likes`)).status !== 200)
        await pause(50);
      const tokens = await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => token(`bench-viewer-${i}`)));

      // 1. 500 accounts × 20 toggles, concurrently.
      const lastLiked = new Array<boolean | undefined>(ACCOUNTS);
      let refused = 0;
      const toggleStart = performance.now();
      await Promise.all(
        tokens.map(async (viewerToken, account) => {
          for (let step = 0; step < TOGGLES / ACCOUNTS; step++) {
            const like = Math.random() < 0.5;
            const answer = await request(agent, port, like ? 'PUT' : 'DELETE', likePath, {
              authorization: `Bearer ${viewerToken}`,
            });
            if (answer.status === 200) lastLiked[account] = like;
            else refused++;
          }
        }),
      );
      const toggleMs = performance.now() - toggleStart;
      const expected = lastLiked.filter(Boolean).length;
      const final = LikeState.parse(
        JSON.parse((await request(agent, port, 'GET', `/api/engagement/videos/${videoId}/likes`)).body),
      ).count;
      rows.push({
        benchmark: this.name,
        metric: `final count after ${TOGGLES} concurrent toggles by ${ACCOUNTS} accounts`,
        unit: 'likes',
        subject: final,
        baseline: expected,
        ratio: final / Math.max(expected, 1),
        goal: 'exactly 1',
        notes: `baseline: accounts whose last answered action was like; ${refused} refused; ${Math.round((TOGGLES / toggleMs) * 1000)} req/s`,
      });

      // 2. Memory per idle connection: 1,000 idle keep-alive sockets (baseline), then 1,000 SSE subscribers.
      await stop(server);
      agent.destroy(); // its kept-alive sockets went with the old process
      server = await start();
      agent = new http.Agent({ keepAlive: true, maxSockets: ACCOUNTS });
      await pause(3000); // start-up work done (recovery, sweeps) before the first reading
      let pid = server.pid!;
      const idleAgent = new http.Agent({ keepAlive: true, maxSockets: SUBSCRIBERS, keepAliveMsecs: 60_000 });
      await pause(1000);
      const idleBefore = rssOf(pid);
      await Promise.all(Array.from({ length: SUBSCRIBERS }, () => request(idleAgent, port, 'GET', '/healthz')));
      await pause(1500);
      const idlePer = (rssOf(pid) - idleBefore) / SUBSCRIBERS;
      idleAgent.destroy();
      await stop(server);
      agent.destroy();
      server = await start();
      agent = new http.Agent({ keepAlive: true, maxSockets: ACCOUNTS });
      await pause(3000);
      pid = server.pid!;

      const arrivals = new Map<number, number[]>();
      const sseBefore = rssOf(pid);
      for (let i = 0; i < SUBSCRIBERS; i += 100) {
        subscribers.push(
          ...(await Promise.all(
            Array.from({ length: 100 }, () =>
              subscribe(port, videoId, (count, at) => {
                const list = arrivals.get(count) ?? [];
                list.push(at);
                arrivals.set(count, list);
              }),
            ),
          )),
        );
      }
      await pause(1500);
      const ssePer = (rssOf(pid) - sseBefore) / SUBSCRIBERS;
      rows.push({
        benchmark: this.name,
        metric: 'server memory per idle live subscriber',
        unit: 'KiB',
        subject: ssePer / 1024,
        baseline: idlePer / 1024,
        ratio: ssePer / Math.max(idlePer, 1),
        notes: `RSS delta over ${SUBSCRIBERS} connections; baseline: an idle keep-alive HTTP connection`,
      });

      // 3. Like response → every subscriber has the new count.
      const allLatencies: number[] = [];
      const roundTrips: number[] = [];
      let missed = 0;
      for (let i = 0; i < LATENCY_LIKES; i++) {
        const answer = await request(agent, port, 'PUT', likePath, {
          authorization: `Bearer ${await token(`bench-latency-${i}`)}`,
        });
        const respondedAt = performance.now();
        roundTrips.push(answer.ms);
        const { count } = LikeState.parse(JSON.parse(answer.body));
        const deadline = respondedAt + 2000;
        while ((arrivals.get(count)?.length ?? 0) < SUBSCRIBERS && performance.now() < deadline) await pause(1);
        const got = arrivals.get(count) ?? [];
        if (got.length < SUBSCRIBERS) missed++;
        else allLatencies.push(Math.max(0, Math.max(...got) - respondedAt));
        await pause(300); // past the coalescing interval: each like is its own update
      }
      for (const [p, name] of [
        [50, 'p50'],
        [99, 'p99'],
      ] as const) {
        rows.push({
          benchmark: this.name,
          metric: `like response → all ${SUBSCRIBERS} subscribers ${name}`,
          unit: 'ms',
          subject: percentile(allLatencies, p),
          baseline: percentile(roundTrips, p),
          ratio: percentile(allLatencies, p) / Math.max(percentile(roundTrips, p), 1),
          ...(name === 'p99' ? { goal: 'subject < 100 ms' } : {}),
          notes: `${LATENCY_LIKES} likes, ${missed} not seen by all; baseline: the like's own round trip`,
        });
      }
      for (const req of subscribers.splice(0)) req.destroy();
      await pause(500);

      // 4. Like throughput against a bare Hono route doing one SQLite write.
      await likeThroughput(port, tokens, videoId, 10, 1000); // warm-up
      const subject = await likeThroughput(port, tokens, videoId);
      const bare = await startScript('bench/servers/likes-baseline-server.ts');
      try {
        const barePort = z.object({ port: z.number() }).parse(JSON.parse(bare.firstLine)).port;
        await likeThroughput(barePort, tokens, videoId, 10, 1000);
        const baseline = await likeThroughput(barePort, tokens, videoId);
        rows.push({
          benchmark: this.name,
          metric: 'like/unlike throughput',
          unit: 'req/s',
          subject: subject.rps,
          baseline: baseline.rps,
          ratio: subject.rps / baseline.rps,
          notes: `c=50, 5 s, ${ACCOUNTS} accounts; errors ${subject.errors}/${baseline.errors}; baseline: bare Hono + one SQLite write`,
        });
      } finally {
        await stop(bare.child);
      }
      agent.destroy();
      return rows;
    } finally {
      for (const req of subscribers) req.destroy();
      await stop(server);
      rmSync(data, { recursive: true, force: true });
    }
  },
};
