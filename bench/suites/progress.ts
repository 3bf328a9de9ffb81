import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { signAccountToken } from '#platform/local/identity/access-token.js';
import { loadIdentitySecrets } from '#platform/local/identity/keys.js';
import { identityUrls } from '#platform/local/identity/urls.js';
import type { Benchmark, Row } from '../lib.js';
import { freePort, repoRoot, startScript, stop, waitFor200 } from '../process.js';

const VIEWERS = 200;
const CONCURRENCY = 50;
const DURATION_MS = 5_000;
/** The service's coalescing window (services/engagement: at most one write per 5 s per viewer and title). */
const WINDOW_MS = 5_000;
/** 5,000 viewers watching at once on one standalone machine, each reporting every 10 s. */
const GOAL_WRITES_PER_SECOND = 500;
/** Entitlement's answer is cached 60 s: one report in six at most asks it. */
const GOAL_FIRST_REPORTS_PER_SECOND = Math.ceil(GOAL_WRITES_PER_SECOND / 6);
/** (viewer, title) pairs reported twice, a window apart, for the warm-cache figure. */
const PAIRS = 1_500;
const Saved = z.object({ stored: z.boolean() });

/** One PUT over a keep-alive agent (node:http: cheaper per request than fetch). */
function put(agent: http.Agent, port: number, path: string, token: string, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path,
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `concurrency` workers for `durationMs`; `target(n)` names the n-th report's viewer and title.
 * Returns answered reports per second, how many were stored (not superseded), and errors.
 */
async function drive(
  port: number,
  target: (n: number) => { token: string; videoId: string },
  { concurrency = CONCURRENCY, durationMs = DURATION_MS, limit = Infinity } = {},
) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  let ok = 0;
  let stored = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && sent < limit) {
        const n = sent++;
        const { token, videoId } = target(n);
        const body = JSON.stringify({ positionSeconds: (n % 3000) + 1, durationSeconds: 3600 });
        const answer = await put(agent, port, `/api/engagement/videos/${videoId}/progress`, token, body);
        if (answer.status !== 200) continue;
        ok++;
        if (Saved.safeParse(JSON.parse(answer.body)).data?.stored) stored++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { rps: ok / seconds, writesPerSecond: stored / seconds, stored, errors: sent - ok, seconds };
}

/**
 * Progress reports against the standalone server (`runtime/standalone/main.ts`: token check,
 * entitlement asked in process through its public `POST /access`, the coalescing writer, SQLite):
 *
 * - sustained writes: 1,500 (viewer, title) pairs report once (each asks entitlement: a cache
 *   miss), then again a window later, as a player does (entitlement's answer cached, each report
 *   written at once), against a bare Hono route doing one SQLite write for the same body, same
 *   client, same run. Standalone writes the positions due together in one transaction (group
 *   commit: one fsync for up to 50), which is why it can beat the bare route;
 * - a flood: one viewer and title, 50 connections for 5 s: answered reports per second and the
 *   writes they cost (goal: at most one per 5 s window, plus the trailing one).
 *
 * The viewers hold the admin role, which entitlement lets watch any title: no purchase or
 * transcode is needed to give the bench thousands of watchable (viewer, title) pairs; the code
 * path (token, entitlement question, writer, store) is the viewers'.
 */
export const progressBench: Benchmark = {
  name: 'progress',
  async run() {
    const rows: Row[] = [];
    const data = mkdtempSync(join(tmpdir(), 'kinema-bench-progress-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = spawn(process.execPath, ['--import', 'tsx', 'runtime/standalone/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, KINEMA_DATA: data, PORT: String(port), KINEMA_PUBLIC_URL: url, KINEMA_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      await waitFor200(`${url}/healthz`, performance.now(), 180_000);
      const secrets = loadIdentitySecrets(data);
      const urls = identityUrls(url);
      const tokens = await Promise.all(
        Array.from({ length: VIEWERS }, (_, index) =>
          signAccountToken({
            account: {
              id: `bench-viewer-${index}`,
              email: `bench-viewer-${index}@bench.kinema.test`,
              roles: ['admin'],
              createdAt: Date.now(),
            },
            issuer: urls.issuer,
            audience: urls.audience,
            key: secrets.privateKey,
            kid: secrets.kid,
            ttlSeconds: 3600,
            now: Date.now,
          }),
        ),
      );
      // Each report a new (viewer, title): 200 viewers × as many titles as the run needs.
      const fresh = (prefix: string) => (n: number) => ({
        token: tokens[n % VIEWERS]!,
        videoId: `${prefix}${Math.floor(n / VIEWERS)}`,
      });
      await drive(port, fresh('warm-'), { concurrency: 10, durationMs: 1_000 });
      // First reports: each (viewer, title) new, so entitlement is asked every time.
      const first = await drive(port, fresh('title-'), { durationMs: 60_000, limit: PAIRS });
      // A window later the same pairs report again, as a player does every 10 s: entitlement's
      // answers are cached (60 s), the window has passed, so each report is written at once.
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 500));
      const again = await drive(port, fresh('title-'), { durationMs: 60_000, limit: PAIRS });

      const bare = await startScript('bench/servers/progress-baseline-server.ts');
      try {
        const barePort = z.object({ port: z.number() }).parse(JSON.parse(bare.firstLine)).port;
        await drive(barePort, fresh('warm-'), { concurrency: 10, durationMs: 1_000 });
        const baseline = await drive(barePort, fresh('title-'), { durationMs: 60_000, limit: PAIRS });
        for (const [label, subject, goal, why] of [
          [
            'a periodic report (entitlement answer cached)',
            again,
            GOAL_WRITES_PER_SECOND,
            '5,000 viewers reporting every 10 s',
          ],
          [
            'a first report (entitlement asked)',
            first,
            GOAL_FIRST_REPORTS_PER_SECOND,
            'one report in six of those asks',
          ],
        ] as const) {
          rows.push({
            benchmark: this.name,
            metric: `progress writes sustained, ${label}`,
            unit: 'writes/s',
            subject: subject.writesPerSecond,
            baseline: baseline.writesPerSecond,
            ratio: subject.writesPerSecond / baseline.writesPerSecond,
            target: `≥ ${goal} writes/s (${why})`,
            met: subject.writesPerSecond >= goal,
            notes: `c=${CONCURRENCY}, ${PAIRS} viewer × title pairs (${subject.stored} stored), errors ${subject.errors}/${baseline.errors}; baseline: bare Hono + one SQLite write (WAL, synchronous=FULL)`,
          });
        }
      } finally {
        await stop(bare.child);
      }

      // The flood: one viewer, one title, as fast as 50 connections go.
      const flood = await drive(port, () => ({ token: tokens[0]!, videoId: 'flooded-title' }));
      // Let the trailing write land, then count: the writes are the answers that were stored.
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 500));
      const allowed = Math.ceil((flood.seconds * 1000) / WINDOW_MS) + 1;
      rows.push({
        benchmark: this.name,
        metric: 'writes caused by a flood of reports for one viewer × title',
        unit: 'writes',
        subject: flood.stored,
        baseline: allowed,
        ratio: flood.stored / allowed,
        target: `≤ 1 per ${WINDOW_MS / 1000} s window (+ the trailing one)`,
        met: flood.stored <= allowed,
        notes: `${Math.round(flood.rps)} reports/s answered for ${flood.seconds.toFixed(1)} s, errors ${flood.errors}; baseline: the windows in that time + 1`,
      });
      return rows;
    } finally {
      await stop(server);
      rmSync(data, { recursive: true, force: true });
    }
  },
};
