/** The cold-start baseline: the same Node + tsx start, a bare Hono app answering /healthz. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' });
process.on('SIGTERM', () => server.close(() => process.exit(0)));
