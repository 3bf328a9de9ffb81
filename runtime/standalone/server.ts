import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { createLocalJWKSet } from 'jose';
import { z } from 'zod';
import { createCatalogApp } from '#services/catalog/src/http.js';
import { catalogSubscriptions } from '#services/catalog/src/subscribers.js';
import { createEngagementApp } from '#services/engagement/src/http.js';
import { engagementSubscriptions } from '#services/engagement/src/subscribers.js';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { planOf } from '#services/entitlement/src/plan.js';
import { entitlementSubscriptions } from '#services/entitlement/src/subscribers.js';
import { createNotificationApp } from '#services/notification/src/http.js';
import { notificationSubscriptions } from '#services/notification/src/subscribers.js';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import type { StandaloneConfig } from '#shared/config.js';
import { readJson, serviceApp } from '#shared/http/app.js';
import { authenticate, requireRole } from '#shared/http/auth.js';
import type { Logger } from '#shared/log.js';
import { systemClock } from '#shared/ports/clock.js';
import type { Clock } from '#shared/ports/clock.js';
import { devClock } from '#platform/local/dev-clock.js';
import { createDispatcher } from '#platform/local/dispatcher.js';
import { createIssuer } from '#platform/local/identity/issuer.js';
import { cloudFrontCookieSigner } from '#protocol/cloudfront-cookies.js';
import { loadOrCreateCloudFrontKeys } from '#platform/local/cloudfront-keys.js';
import { localMedia } from './media.js';
import { mediaEdge } from '#platform/local/media-edge.js';
import { sandboxCheckoutListener } from '#platform/local/sandbox-checkout-page.js';
import { SANDBOX_PATH, sandboxPayments } from '#platform/local/sandbox-payments.js';
import { lockDataFolder } from '#platform/local/data-lock.js';
import { fileStore } from '#platform/local/file-store.js';
import { fileStoreListener } from '#platform/local/file-store-http.js';
import { loadOrCreateSecrets } from '#platform/local/secrets.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';

const SERVICE_NAMES = ['catalog', 'entitlement', 'media', 'engagement', 'notification'] as const;
type ServiceName = (typeof SERVICE_NAMES)[number];

export interface Standalone {
  url: string;
  port: number;
  close(): Promise<void>;
}

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Paths the Hono apps answer; everything else is the issuer's or the web's. */
const API_PREFIXES = ['/api/', '/healthz', '/media/'];
const STORE_PREFIX = '/_store/';
const HOUR = 3600 * 1000;

/**
 * The standalone composition root: the five services, the built-in OpenID issuer, the outbox
 * dispatcher and the SvelteKit web, wired onto local adapters in ONE process on ONE port.
 */
export async function startStandalone(config: StandaloneConfig, logger: Logger): Promise<Standalone> {
  const dataDir = resolve(config.KINEMA_DATA);
  mkdirSync(dataDir, { recursive: true });
  // One process per data folder: a second server, or a restore, is refused while this one runs.
  const dataLock = lockDataFolder(dataDir);

  const clock: Clock & { advance?: (ms: number) => number } = config.KINEMA_DEV_CLOCK
    ? devClock({ file: join(dataDir, 'dev-clock.json') })
    : systemClock;
  const now = () => clock.now();

  const tables = Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, sqliteTable({ file: join(dataDir, `${name}.db`), now })]),
  ) as Record<ServiceName, SqliteTable>;

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
  const issuerUrl = `${publicUrl}/oidc`;
  const audience = `${publicUrl}/api`;
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'));

  const issuer = await createIssuer({
    dataDir,
    // The plan claim is for display; playback decisions read the entitlement store itself.
    planOf: planOf({ table: tables.entitlement, clock }),
    issuer: issuerUrl,
    audience,
    now,
    logger: logger.child({ part: 'oidc' }),
    clients: [
      {
        clientId: 'kinema-web',
        clientSecret: secrets.webClientSecret,
        redirectUris: [`${publicUrl}/auth/callback`],
        postLogoutRedirectUris: [`${publicUrl}/`],
      },
    ],
  });
  const verifier = jwtVerifier({ issuer: issuerUrl, audience, keys: createLocalJWKSet(issuer.jwks()), now });

  // One local object store stands in for the uploads and media buckets (keys differ by prefix).
  const objects = fileStore({ root: join(dataDir, 'objects'), publicUrl, secret: secrets.urlSigningSecret, now });
  const storeListener = fileStoreListener(objects, { allowedOrigin: publicUrl });

  const deps = (name: ServiceName) => ({
    table: tables[name],
    verifier,
    clock,
    logger: logger.child({ service: name }),
  });
  const api = serviceApp({ logger });
  api.get('/healthz', (c) => c.json({ status: 'ok' }));
  api.route(
    '/api/catalog',
    createCatalogApp({
      ...deps('catalog'),
      objects,
      limits: { maxUploadBytes: config.KINEMA_MAX_UPLOAD_BYTES, maxJsonBytes: config.KINEMA_MAX_JSON_BYTES },
    }),
  );
  // Payments: the sandbox checkout stands in for Stripe Checkout and sends Stripe-shaped, signed
  // webhooks that the production parser checks, so fulfilment runs the same code in both runtimes.
  const paymentsTable = sqliteTable({ file: join(dataDir, 'payments-sandbox.db'), now });
  const sandbox = sandboxPayments({
    table: paymentsTable,
    clock,
    publicUrl,
    apiOrigin: `http://127.0.0.1:${port}`,
    webhookSecret: secrets.sandboxWebhookSecret,
    logger: logger.child({ part: 'sandbox-payments' }),
  });
  const sandboxListener = sandboxCheckoutListener(sandbox, { publicUrl, logger: logger.child({ part: 'sandbox' }) });
  const tickSandbox = () => {
    sandbox.tick().catch((error: unknown) => logger.error('sandbox tick failed', { err: error }));
  };

  // CloudFront signed cookies, made by the same adapter as on AWS and checked by the local edge.
  const cloudFrontKeys = loadOrCreateCloudFrontKeys(dataDir);
  api.route(
    '/api/entitlement',
    createEntitlementApp({
      ...deps('entitlement'),
      cookies: cloudFrontCookieSigner(cloudFrontKeys),
      mediaOrigin: publicUrl,
      payments: sandbox.payments,
      siteOrigin: publicUrl,
      planPriceJpy: 990,
    }),
  );
  api.route(
    '/media',
    mediaEdge({
      objects,
      publicKeys: { [cloudFrontKeys.keyPairId]: cloudFrontKeys.publicKey },
      publicUrl,
      allowedOrigin: publicUrl,
      now,
      logger: logger.child({ part: 'media-edge' }),
    }),
  );
  const media = localMedia({
    table: tables.media,
    verifier,
    sources: objects,
    media: objects,
    workDir: join(dataDir, 'media-work'),
    clock,
    logger: logger.child({ service: 'media' }),
    path: process.env.PATH,
  });
  api.route('/api/media', media.service.app);
  api.route('/api/engagement', createEngagementApp(deps('engagement')));
  api.route('/api/notification', createNotificationApp(deps('notification')));
  if (config.KINEMA_DEV_CLOCK && clock.advance) {
    const advance = clock.advance;
    const AdvanceBody = z.object({
      advanceMs: z
        .number()
        .int()
        .positive()
        .max(366 * 24 * 3600 * 1000),
    });
    api.use('/api/_dev/*', authenticate(verifier));
    api.post('/api/_dev/clock', async (c) => {
      requireRole(c.get('principal'), 'admin');
      const { advanceMs } = await readJson(c, AdvanceBody, config.KINEMA_MAX_JSON_BYTES);
      const at = advance(advanceMs);
      dispatcher.wake();
      tickSandbox(); // renewals and period ends that came due
      return c.json({ now: new Date(at).toISOString() });
    });
  }

  const subscriptions = [
    ...catalogSubscriptions({ table: tables.catalog, clock }).map((subscription) => ({
      subscription,
      inbox: tables.catalog,
    })),
    ...entitlementSubscriptions({ table: tables.entitlement }).map((subscription) => ({
      subscription,
      inbox: tables.entitlement,
    })),
    ...media.service.subscriptions.map((subscription) => ({ subscription, inbox: tables.media })),
    ...engagementSubscriptions().map((subscription) => ({ subscription, inbox: tables.engagement })),
    ...notificationSubscriptions().map((subscription) => ({ subscription, inbox: tables.notification })),
  ];
  const dispatcher = createDispatcher({
    file: join(dataDir, 'bus.db'),
    sources: SERVICE_NAMES.map((name) => ({ name, table: tables[name] })),
    subscriptions,
    now,
    logger: logger.child({ part: 'dispatcher' }),
  });
  dispatcher.start();

  // Housekeeping: abandoned multipart uploads (S3's lifecycle rule does this on AWS) and expired items.
  const sweep = () => {
    objects
      .sweepAbandoned(24 * HOUR)
      .then((count) => count && logger.info('swept abandoned uploads', { count }))
      .catch((error: unknown) => logger.error('upload sweep failed', { err: error }));
    for (const table of Object.values(tables)) table.sweepExpired();
  };
  const ticker = setInterval(tickSandbox, 60_000);
  ticker.unref();
  const sweeper = setInterval(sweep, HOUR);
  sweeper.unref();
  sweep();
  // A transcode cut short by a crash or restart starts again (three attempts, then `failed`).
  await media.service.recover();
  const recovery = setInterval(
    () => {
      media.service.recover().catch((error: unknown) => logger.error('media recovery failed', { err: error }));
    },
    5 * 60 * 1000,
  );
  recovery.unref();

  const apiListener = getRequestListener(api.fetch);
  const web = await loadWeb({
    // adapter-node builds request URLs from ORIGIN; without it SvelteKit would assume https://<host>.
    ORIGIN: publicUrl,
    KINEMA_PUBLIC_URL: publicUrl,
    KINEMA_API_ORIGIN: `http://127.0.0.1:${port}`,
    KINEMA_OIDC_ISSUER: issuerUrl,
    KINEMA_OIDC_CLIENT_ID: 'kinema-web',
    KINEMA_OIDC_CLIENT_SECRET: secrets.webClientSecret,
    KINEMA_OIDC_AUDIENCE: audience,
    KINEMA_SESSION_SECRET: secrets.sessionSecret,
  });

  ready.handle = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    const path = req.url ?? '/';
    res.on('finish', () => {
      logger.info('request', {
        requestId,
        method: req.method,
        path: path.split('?')[0], // read before dispatch: the issuer rewrites req.url

        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    if (path.startsWith(STORE_PREFIX)) return storeListener(req, res);
    if (path.startsWith(SANDBOX_PATH)) return sandboxListener(req, res);
    if (path === '/oidc' || path.startsWith('/oidc/') || path.startsWith('/oidc?')) return issuer.listener(req, res);
    if (API_PREFIXES.some((prefix) => path.startsWith(prefix) || path === prefix.replace(/\/$/, ''))) {
      return void apiListener(req, res);
    }
    return web(req, res);
  };

  tickSandbox(); // webhooks a crash left undelivered go out now, not a minute from now
  logger.info('kinema is up', { url: publicUrl, data: dataDir, devClock: config.KINEMA_DEV_CLOCK });

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
        clearInterval(sweeper);
        clearInterval(ticker);
        clearInterval(recovery);
        await dispatcher.stop();
        await media.close();
        await issuer.close();
        for (const table of Object.values(tables)) table.close();
        paymentsTable.close();
        dataLock.release();
      })();
      return closing;
    },
  };
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/**
 * Loads the SvelteKit build (`npm run build:web`). Its server code reads its configuration from
 * process.env, so the composition root sets it here, once, before the import.
 */
async function loadWeb(env: Record<string, string>): Promise<NodeHandler> {
  const handlerFile = join(repoRoot, 'web', 'build', 'handler.js');
  if (!existsSync(handlerFile)) {
    return (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'unavailable', message: 'the web is not built: run npm run build:web' } }),
      );
    };
  }
  Object.assign(process.env, env);
  const module = (await import(pathToFileURL(handlerFile).href)) as { handler: NodeHandler };
  return (req, res) =>
    module.handler(req, res, () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: `no page at ${req.url}` } }));
    });
}
