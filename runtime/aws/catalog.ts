import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseConfig } from '#shared/config.js';
import { s3Store } from '#platform/aws/s3-store.js';
import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
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

export const { handler, onEvent } = serviceLambda('catalog', deps, {
  app: createCatalogApp({ ...deps, objects, limits: { maxUploadBytes: env.MAX_UPLOAD_BYTES } }),
  subscriptions: catalogSubscriptions({ table: deps.table, clock: deps.clock }),
});
