import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import type { StandaloneConfig } from '#shared/config.js';
import { serviceApp } from '#shared/http/app.js';
import { canonicalRedirect } from '#shared/http/canonical-host.js';
import type { Logger } from '#shared/log.js';
import { createDispatcher } from '#platform/local/dispatcher.js';
import { fileStoreListener } from '#platform/local/file-store-http.js';
import { sandboxCheckoutListener } from '#platform/local/sandbox-checkout-page.js';
import { SANDBOX_PATH } from '#platform/local/sandbox-payments.js';
import { localAdapters } from './adapters.js';
import { apiDocs } from './api-docs.js';
import { devRoutes } from './dev-routes.js';
import { housekeepingTimers, startTimers } from './housekeeping.js';
import { withRequestLog } from './request-log.js';
import { wireServices } from './services.js';
import { loadWeb } from './web.js';

export interface Standalone {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Paths the Hono apps answer; everything else is the issuer's, the store's, the sandbox's or the web's. */
const API_PREFIXES = ['/api/', '/healthz', '/media/'];
const STORE_PREFIX = '/_store/';

/**
 * The standalone runtime in ONE process on ONE port: binds, builds the local adapters
 * (`adapters.ts`), wires the services onto them (`services.ts`), relays their outboxes, starts the
 * housekeeping timers (`housekeeping.ts`), serves the web (`web.ts`, imported with the first page)
 * and routes each request to its part under one request log (`request-log.ts`).
 */
export async function startStandalone(config: StandaloneConfig, logger: Logger): Promise<Standalone> {
  // The server listens before the public URL is known when PORT=0; bind first, then build.
  // Requests that arrive while the parts start get 503 `starting` (so /healthz says 200 only once
  // everything is up) instead of waiting unanswered.
  const ready: { handle?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server = createServer((req, res) => {
    if (ready.handle) return ready.handle(req, res);
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ status: 'starting', error: { code: 'unavailable', message: 'Kinema is starting' } }));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(config.PORT, config.HOST, () => done());
  });
  const port = (server.address() as AddressInfo).port;
  const publicUrl = (config.KINEMA_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');

  const adapters = await localAdapters(config, { port, publicUrl }, logger);
  const services = wireServices(adapters, config, logger);

  const api = serviceApp({ logger });
  api.get('/healthz', (c) => c.json({ status: 'ok' }));
  for (const service of services) api.route(service.mount, service.app);
  // GET /api/openapi.json and /api/docs: the services' own OpenAPI documents, merged.
  const described = services.filter(({ name, mount }) => mount === `/api/${name}`).map(({ name }) => name);
  api.route('/api', apiDocs({ services: described, request: (path) => api.request(path), logger }));
  const { dev } = adapters;
  if (dev) {
    api.route(
      '/api/_dev',
      devRoutes({ clock: dev, verifier: adapters.verifier, maxJsonBytes: config.KINEMA_MAX_JSON_BYTES }),
    );
  }

  const dispatcher = createDispatcher({
    file: join(adapters.dataDir, 'bus.db'),
    sources: Object.entries(adapters.tables).map(([name, table]) => ({ name, table })),
    subscriptions: services.flatMap(({ name, subscriptions = [], inbox }) => {
      if (subscriptions.length > 0 && !inbox) throw new Error(`${name} consumes events but names no inbox table`);
      return inbox ? subscriptions.map((subscription) => ({ subscription, inbox })) : [];
    }),
    now: () => adapters.clock.now(),
    logger: logger.child({ part: 'dispatcher' }),
  });
  adapters.bus.connect(dispatcher);
  dispatcher.start();
  for (const service of services) service.start?.();
  const timers = await startTimers(
    housekeepingTimers(adapters, services, logger),
    logger.child({ part: 'housekeeping' }),
  );
  dev?.onAdvance(() => {
    dispatcher.wake();
    timers.clockMoved();
  });

  const apiListener = getRequestListener(api.fetch);
  const storeListener = fileStoreListener(adapters.objects, { allowedOrigin: publicUrl });
  const sandboxListener = sandboxCheckoutListener(adapters.sandbox, {
    publicUrl,
    logger: logger.child({ part: 'sandbox' }),
  });
  const { issuer } = adapters;
  const web = loadWeb(
    {
      // adapter-node builds request URLs from ORIGIN; without it SvelteKit would assume https://<host>.
      ORIGIN: publicUrl,
      KINEMA_PUBLIC_URL: publicUrl,
      KINEMA_API_ORIGIN: `http://127.0.0.1:${port}`,
      KINEMA_OIDC_ISSUER: adapters.issuerUrl,
      KINEMA_OIDC_CLIENT_ID: 'kinema-web',
      KINEMA_OIDC_CLIENT_SECRET: adapters.secrets.webClientSecret,
      KINEMA_OIDC_AUDIENCE: adapters.audience,
      KINEMA_SESSION_SECRET: adapters.secrets.sessionSecret,
      // Form posts up to 3 MB (adapter-node's default is 512 KB): a 2 MB subtitle file plus its form.
      BODY_SIZE_LIMIT: '3M',
    },
    logger.child({ part: 'web' }),
  );

  const hsts = publicUrl.startsWith('https:');
  ready.handle = withRequestLog(logger, (req, res) => {
    const path = req.url ?? '/';
    // Pages are served on the public host only, so every sign-in starts and ends on one origin.
    const canonical = canonicalRedirect(
      { path, host: req.headers.host, forwardedHost: header(req.headers['x-forwarded-host']) },
      publicUrl,
    );
    if (canonical) {
      res.writeHead(308, { location: canonical, 'cache-control': 'no-store', 'content-type': 'text/plain' });
      res.end(`Kinema lives at ${publicUrl}\n`);
      return;
    }
    // Behind TLS, browsers must never come back over plain http (two years, as hstspreload asks).
    if (hsts) res.setHeader('strict-transport-security', 'max-age=63072000; includeSubDomains');
    if (path.startsWith(STORE_PREFIX)) return storeListener(req, res);
    if (path.startsWith(SANDBOX_PATH)) return sandboxListener(req, res);
    if (path === '/oidc' || path.startsWith('/oidc/') || path.startsWith('/oidc?')) return issuer.listener(req, res);
    if (API_PREFIXES.some((prefix) => path.startsWith(prefix) || path === prefix.replace(/\/$/, ''))) {
      return void apiListener(req, res);
    }
    return web.handler(req, res);
  });

  logger.info('kinema is up', { url: publicUrl, data: adapters.dataDir, devClock: config.KINEMA_DEV_CLOCK });

  let closing: Promise<void> | undefined;
  return {
    url: publicUrl,
    port,
    close() {
      closing ??= (async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeIdleConnections();
          // Streams such as SSE would hold the server open: give them a moment, then cut them.
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        timers.stop();
        await dispatcher.stop();
        for (const service of services) await service.close?.();
        await adapters.close();
      })();
      return closing;
    },
  };
}

/** A header that may repeat, as its first value. */
function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
