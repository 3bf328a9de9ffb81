/**
 * The likes baseline: a bare Hono route doing one SQLite write per like (better-sqlite3, WAL,
 * synchronous=FULL as the standalone Table runs) and answering `{count, liked}` — no token, no
 * transaction of several items, no outbox, no fan-out. Prints `{"port": N}` on its first line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';

const db = new Database(join(mkdtempSync(join(tmpdir(), 'kinema-bench-likes-')), 'likes.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(
  'CREATE TABLE likes (video TEXT NOT NULL, viewer TEXT NOT NULL, liked INTEGER NOT NULL, PRIMARY KEY (video, viewer))',
);
const write = db.prepare<[string, string, number]>(
  'INSERT INTO likes (video, viewer, liked) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET liked = excluded.liked',
);

const app = new Hono();
for (const [method, liked] of [
  ['PUT', 1],
  ['DELETE', 0],
] as const) {
  app.on(method, '/api/engagement/videos/:id/like', (c) => {
    write.run(c.req.param('id'), c.req.header('authorization') ?? 'anonymous', liked);
    return c.json({ count: 1, liked: liked === 1 });
  });
}
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(JSON.stringify({ port: info.port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
