import { join } from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from '#shared/http/app.js';
import { createCatalogApp } from '#services/catalog/src/http.js';
import { catalogSubscriptions } from '#services/catalog/src/subscribers.js';
import { createEngagement } from '#services/engagement/src/http.js';
import { engagementSubscriptions } from '#services/engagement/src/subscribers.js';
import { cachedAccess, entitlementAccess } from '#services/engagement/src/watch-access.js';
import { MONTHLY_PLAN } from '#services/entitlement/src/domain/plans.js';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { entitlementSubscriptions } from '#services/entitlement/src/subscribers.js';
import type { StandaloneConfig } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { Table } from '#shared/ports/table.js';
import { mediaEdge } from '#platform/local/media-edge.js';
import { sseHub } from '#platform/local/sse-hub.js';
import type { LocalAdapters, TableName } from './adapters.js';
import { localMedia } from './media.js';
import { standaloneNotification } from './notification.js';
import { accountClosureApp } from '#platform/local/identity/account-closure.js';
import { localUserDirectory } from '#platform/local/identity/user-directory.js';
import { localSearch } from './search.js';

/** One service (or edge) as the standalone server mounts it. */
export interface WiredService {
  name: string;
  /** Path prefix the Hono app is mounted under, e.g. `/api/catalog`. */
  mount: string;
  app: Hono<AppEnv>;
  /** Consumed events; each subscription's inbox lives in `inbox` (the consumer's own table). */
  subscriptions?: Subscription[];
  inbox?: Table;
  /** Resumes work a crash or restart cut short; housekeeping calls it at start and every few minutes. */
  recover?(): Promise<unknown>;
  /** Starts background work that publishes to the bus (the reminder timers), once it is connected. */
  start?(): void;
  close?(): Promise<void>;
}

/**
 * The wiring of the services onto the local adapters: which adapter each service's port gets, where
 * its app is mounted and which events it consumes. Adding a port to a service, or a service, is an
 * entry here; timers belong in `housekeeping.ts`.
 */
export function wireServices(a: LocalAdapters, config: StandaloneConfig, logger: Logger): WiredService[] {
  const { publicUrl } = a.address;
  const deps = (name: TableName) => ({
    table: a.tables[name],
    verifier: a.verifier,
    clock: a.clock,
    logger: logger.child({ service: name }),
  });
  const media = localMedia({
    ...deps('media'),
    sources: a.objects,
    media: a.objects,
    workDir: join(a.dataDir, 'media-work'),
    path: process.env.PATH,
  });
  const liveHub = sseHub(); // live like counts as server-sent events

  const notification = standaloneNotification({
    dataDir: a.dataDir,
    table: a.tables.notification,
    clock: a.dev ?? a.clock,
    publicUrl,
    secret: a.secrets.urlSigningSecret,
    smtpUrl: config.KINEMA_SMTP_URL,
    mailer: a.mailer,
    bus: a.bus,
    logger,
  });

  const search = localSearch({ table: a.tables.catalog, clock: a.clock, logger: logger.child({ part: 'search' }) });

  const entitlementApp = createEntitlementApp({
    ...deps('entitlement'),
    cookies: a.cookies,
    mediaOrigin: publicUrl,
    payments: a.sandbox.payments,
    siteOrigin: publicUrl,
    planPriceJpy: MONTHLY_PLAN.priceJpy,
    // User management: the same account table and role change the `kinema users` CLI uses.
    users: localUserDirectory(a.issuer.accounts),
  });
  // Engagement asks entitlement as the viewer, through the public `POST /access`, in process.
  const watchAccess = cachedAccess(
    entitlementAccess({
      baseUrl: 'http://entitlement.in-process',
      fetch: async (request) => entitlementApp.fetch(request),
    }),
    { now: () => a.clock.now() },
  );
  // Positions due together share one SQLite transaction: one fsync for up to 50 of them.
  const engagement = createEngagement({ ...deps('engagement'), live: liveHub, access: watchAccess, progressBatch: 50 });

  return [
    {
      name: 'catalog',
      mount: '/api/catalog',
      app: createCatalogApp({
        ...deps('catalog'),
        objects: a.objects,
        limits: { maxUploadBytes: config.KINEMA_MAX_UPLOAD_BYTES, maxJsonBytes: config.KINEMA_MAX_JSON_BYTES },
        search: { index: search.index },
      }),
      subscriptions: [...catalogSubscriptions({ table: a.tables.catalog, clock: a.clock }), ...search.subscriptions],
      inbox: a.tables.catalog,
      close: () => search.close(),
    },
    {
      name: 'entitlement',
      mount: '/api/entitlement',
      app: entitlementApp,
      subscriptions: entitlementSubscriptions({ table: a.tables.entitlement }),
      inbox: a.tables.entitlement,
    },
    {
      name: 'media',
      mount: '/api/media',
      app: media.service.app,
      subscriptions: media.service.subscriptions,
      inbox: a.tables.media,
      // A transcode cut short starts again (three attempts, then `failed`).
      recover: () => media.service.recover(),
      close: () => media.close(),
    },
    {
      // The local stand-in for CloudFront: HLS files, only with valid signed cookies for the title.
      name: 'media-edge',
      mount: '/media',
      app: mediaEdge({
        objects: a.objects,
        publicKeys: { [a.cloudFrontKeys.keyPairId]: a.cloudFrontKeys.publicKey },
        publicUrl,
        allowedOrigin: publicUrl,
        now: () => a.clock.now(),
        logger: logger.child({ part: 'media-edge' }),
      }),
    },
    {
      name: 'engagement',
      mount: '/api/engagement',
      app: engagement.app,
      // The hub is also the Realtime adapter; the dispatcher does not wait for the coalesced push.
      subscriptions: engagementSubscriptions({
        table: a.tables.engagement,
        realtime: liveHub,
        awaitFanout: false,
        logger,
      }),
      inbox: a.tables.engagement,
      // Before the tables close: the positions still held in their 5 s window are written.
      close: async () => {
        await engagement.flush();
        liveHub.close();
      },
    },
    {
      // Rental reminders: SQLite timers and the outbox/SMTP mailer (runtime/standalone/notification.ts).
      name: 'notification',
      mount: '/api/notification',
      app: notification.app(a.verifier),
      subscriptions: notification.subscriptions,
      inbox: a.tables.notification,
      start: () => notification.start(),
      close: () => notification.close(),
    },
    {
      // Account closure of the built-in identity provider: emits identity.AccountClosed.
      name: 'identity',
      mount: '/api/identity',
      app: accountClosureApp({
        accounts: a.issuer.accounts,
        bus: a.bus,
        clock: a.clock,
        verifier: a.verifier,
        selfService: a.issuer.selfService,
        endSessions: (userId) => a.issuer.endSessions(userId),
      }),
    },
  ];
}
