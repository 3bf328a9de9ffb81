/**
 * The progress baseline: a bare Hono route doing one SQLite write per report (better-sqlite3, WAL,
 * synchronous=FULL as the standalone Table runs), reading the same JSON body and answering it —
 * no token, no entitlement question, no coalescing, no index attributes. Prints `{"port": N}`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';

const db = new Database(join(mkdtempSync(join(tmpdir(), 'kinema-bench-progress-')), 'progress.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(
  'CREATE TABLE progress (viewer TEXT NOT NULL, video TEXT NOT NULL, position REAL NOT NULL, duration REAL NOT NULL, PRIMARY KEY (viewer, video))',
);
const write = db.prepare<[string, string, number, number]>(
  'INSERT INTO progress (viewer, video, position, duration) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET position = excluded.position, duration = excluded.duration',
);

const app = new Hono();
app.put('/api/engagement/videos/:id/progress', async (c) => {
  const body = await c.req.json<{ positionSeconds: number; durationSeconds: number }>();
  write.run(
    c.req.header('authorization') ?? 'anonymous',
    c.req.param('id'),
    body.positionSeconds,
    body.durationSeconds,
  );
  return c.json({ videoId: c.req.param('id'), ...body, stored: true });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(JSON.stringify({ port: info.port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
