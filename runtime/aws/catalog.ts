import { S3Client } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { z } from 'zod';
import { parseConfig } from '#shared/config.js';
import { eventBridgeHandler } from '#platform/aws/event-consumer.js';
import { s3Store } from '#platform/aws/s3-store.js';
import { awsServiceDeps } from './service-deps.js';
import { createCatalogApp } from '#services/catalog/src/http.js';
import { catalogSubscriptions } from '#services/catalog/src/subscribers.js';

/** AWS composition root of the catalog service: the same Hono app, on DynamoDB, S3 and Auth0. */
const deps = awsServiceDeps(process.env);
const env = parseConfig(
  z.object({
    UPLOADS_BUCKET: z.string().min(1),
    MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(50 * 1024 ** 3),
  }),
  process.env,
);
const objects = s3Store({ bucket: env.UPLOADS_BUCKET, client: new S3Client({}) });

/** API Gateway (HTTP API) → `/api/catalog/*`. */
export const handler = handle(
  new Hono().route(
    '/api/catalog',
    createCatalogApp({ ...deps, objects, limits: { maxUploadBytes: env.MAX_UPLOAD_BYTES } }),
  ),
);

/** EventBridge rules built from `catalogSubscriptions()` target this export. */
export const onEvent = eventBridgeHandler({
  subscriptions: catalogSubscriptions({ table: deps.table, clock: deps.clock }),
  inbox: deps.table,
  now: () => deps.clock.now(),
  logger: deps.logger,
});
