import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLocalJWKSet } from 'jose';
import { planOf } from '#services/entitlement/src/plan.js';
import { entitlementStore } from '#services/entitlement/src/store.js';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import type { StandaloneConfig } from '#shared/config.js';
import type { Logger } from '#shared/log.js';
import type { Bus } from '#shared/ports/bus.js';
import { systemClock } from '#shared/ports/clock.js';
import type { Clock } from '#shared/ports/clock.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { cloudFrontCookieSigner } from '#protocol/cloudfront-cookies.js';
import { loadOrCreateCloudFrontKeys, prepareCloudFrontKeys } from '#platform/local/cloudfront-keys.js';
import type { CloudFrontKeys } from '#platform/local/cloudfront-keys.js';
import { devClock } from '#platform/local/dev-clock.js';
import type { DevClock } from '#platform/local/dev-clock.js';
import { fileStore } from '#platform/local/file-store.js';
import type { FileStore } from '#platform/local/file-store.js';
import { createIssuer } from '#platform/local/identity/issuer.js';
import { prepareIdentitySecrets } from '#platform/local/identity/keys.js';
import type { Issuer } from '#platform/local/identity/issuer.js';
import { lockDataFolder } from '#platform/local/data-lock.js';
import { localMailer } from '#platform/local/mailer.js';
import type { LocalMailer } from '#platform/local/mailer.js';
import { sandboxPayments } from '#platform/local/sandbox-payments.js';
import type { SandboxPayments } from '#platform/local/sandbox-payments.js';
import { loadOrCreateSecrets } from '#platform/local/secrets.js';
import type { LocalSecrets } from '#platform/local/secrets.js';
import { sqliteTable, syncCreatedDatabases } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';

/** One SQLite file each: the services' own tables (each owns its data) and the runtime's own. */
export const TABLE_NAMES = ['catalog', 'entitlement', 'media', 'engagement', 'notification'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** Where the server listens, known only once it is bound (PORT=0 picks a free port). */
export interface Address {
  port: number;
  /** The origin people type in a browser, without a trailing slash. */
  publicUrl: string;
}

/**
 * Every local adapter the standalone runtime hands to services, built once. A new adapter is one
 * field here, built in `localAdapters` and closed (if it holds anything) in `close`.
 */
export interface LocalAdapters {
  dataDir: string;
  address: Address;
  /** The dev clock when KINEMA_DEV_CLOCK is on (then `dev` is set), else the system clock. */
  clock: Clock;
  dev?: DevClock;
  /** The outbox dispatcher relays every table in here. */
  tables: Record<TableName, SqliteTable>;
  /**
   * The bus, for an adapter that puts events on it itself (the Scheduler's fired timers). The
   * dispatcher needs every subscription first, so `server.ts` connects it once it is built.
   */
  bus: LateBus;
  secrets: LocalSecrets;
  /** The one outbox mailer (`outbox/`, or SMTP when configured): the issuer's sign-up emails and notification's. */
  mailer: LocalMailer;
  issuer: Issuer;
  issuerUrl: string;
  audience: string;
  verifier: TokenVerifier;
  /** One object store stands in for the uploads and media buckets (keys differ by prefix). */
  objects: FileStore;
  /** CloudFront key pair: the entitlement signs cookies with it, the local media edge checks them. */
  cloudFrontKeys: CloudFrontKeys;
  cookies: ReturnType<typeof cloudFrontCookieSigner>;
  /** Stands in for Stripe Checkout and sends Stripe-shaped, signed webhooks to the real parser. */
  sandbox: SandboxPayments;
  close(): Promise<void>;
}

/** The sender of every email the standalone runtime writes. */
export const MAIL_FROM = 'Kinema <no-reply@kinema.local>';

export type LateBus = Bus & { connect(target: Bus): void };

export function lateBus(): LateBus {
  let target: Bus | undefined;
  return {
    connect(bus) {
      target = bus;
    },
    publish(events) {
      if (!target) return Promise.reject(new Error('the bus is not connected yet: the server is still starting'));
      return target.publish(events);
    },
  };
}

export async function localAdapters(
  config: StandaloneConfig,
  address: Address,
  logger: Logger,
): Promise<LocalAdapters> {
  const dataDir = resolve(config.KINEMA_DATA);
  mkdirSync(dataDir, { recursive: true });
  // One process per data folder: a second server, or a restore, is refused while this one runs.
  const dataLock = lockDataFolder(dataDir);
  // A first start makes two RSA keys in the thread pool (`main.ts` starts them even earlier).
  const keysMade = Promise.all([prepareIdentitySecrets(dataDir), prepareCloudFrontKeys(dataDir)]);
  keysMade.catch(() => undefined); // awaited below; a failure surfaces there
  const { publicUrl, port } = address;
  const dev = config.KINEMA_DEV_CLOCK ? devClock({ file: join(dataDir, 'dev-clock.json') }) : undefined;
  const clock: Clock = dev ?? systemClock;
  const now = () => clock.now();

  // A first start creates the tables' files without waiting for the disk, then flushes them all at
  // once (below) before anything writes to them: one wait instead of a few fsyncs per file in turn.
  const created: string[] = [];
  const tables = Object.fromEntries(
    TABLE_NAMES.map((name) => [name, sqliteTable({ file: join(dataDir, `${name}.db`), now, created })]),
  ) as Record<TableName, SqliteTable>;
  const paymentsTable = sqliteTable({ file: join(dataDir, 'payments-sandbox.db'), now, created });
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'));

  const mailer = localMailer({
    dir: join(dataDir, 'outbox'),
    from: MAIL_FROM,
    now,
    ...(config.KINEMA_SMTP_URL ? { smtpUrl: config.KINEMA_SMTP_URL } : {}),
  });

  await Promise.all([keysMade, syncCreatedDatabases(created)]);
  const issuerUrl = `${publicUrl}/oidc`;
  const audience = `${publicUrl}/api`;
  const issuer = await createIssuer({
    dataDir,
    // The plan claim is for display; playback decisions read the entitlement store itself.
    planOf: planOf({ table: tables.entitlement, clock }),
    issuer: issuerUrl,
    audience,
    now,
    mailer,
    signUpsPerHour: config.KINEMA_SIGNUPS_PER_HOUR,
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

  const objects = fileStore({ root: join(dataDir, 'objects'), publicUrl, secret: secrets.urlSigningSecret, now });
  const cloudFrontKeys = loadOrCreateCloudFrontKeys(dataDir);

  const titles = entitlementStore(tables.entitlement, { now });
  const sandbox = sandboxPayments({
    table: paymentsTable,
    clock,
    publicUrl,
    apiOrigin: `http://127.0.0.1:${port}`,
    webhookSecret: secrets.sandboxWebhookSecret,
    // The sandbox voids a session whose price no longer holds, reading what entitlement knows.
    rentalPriceNow: async (videoId) => {
      const video = await titles.videoFacts(videoId);
      return video && video.published && !video.deleted ? video.priceJpy : undefined;
    },
    logger: logger.child({ part: 'sandbox-payments' }),
  });

  return {
    dataDir,
    address,
    clock,
    ...(dev ? { dev } : {}),
    tables,
    bus: lateBus(),
    secrets,
    mailer,
    issuer,
    issuerUrl,
    audience,
    verifier,
    objects,
    cloudFrontKeys,
    cookies: cloudFrontCookieSigner(cloudFrontKeys),
    sandbox,
    async close() {
      await issuer.close();
      for (const table of Object.values(tables)) table.close();
      paymentsTable.close();
      dataLock.release();
    },
  };
}
