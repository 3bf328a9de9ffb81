import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseConfig } from '#shared/config.js';
import { s3Store } from '#platform/aws/s3-store.js';
import { algoliaClient, algoliaSearchIndex, algoliaSearchKeys } from '#platform/aws/algolia-search.js';
import { searchSync } from '#services/catalog/src/search-sync.js';
import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
import { createCatalogApp } from '#services/catalog/src/http.js';
import { catalogSubscriptions } from '#services/catalog/src/subscribers.js';

/** AWS composition root of the catalog service: the same Hono app, on DynamoDB, S3 and Auth0. */
const deps = awsServiceDeps(process.env);
const env = parseConfig(
  z.object({
    UPLOADS_BUCKET: z.string().min(1),
    ALGOLIA_APP_ID: z.string().min(1),
    ALGOLIA_INDEX: z.string().min(1),
    ALGOLIA_REPLICAS: z.string().default(''),
    /** The HTTP function's: searches and derives the browsers' secured keys. */
    ALGOLIA_SEARCH_KEY: z.string().min(1).optional(),
    /** The search-sync function's only (infra/search.ts). */
    ALGOLIA_WRITE_KEY: z.string().min(1).optional(),
    MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(50 * 1024 ** 3),
  }),
  process.env,
);
const objects = s3Store({ bucket: env.UPLOADS_BUCKET, client: new S3Client({}) });
const indexNamed = (key: string | undefined) =>
  key
    ? algoliaSearchIndex({ client: algoliaClient(env.ALGOLIA_APP_ID, key), indexName: env.ALGOLIA_INDEX })
    : undefined;
const searchIndex = indexNamed(env.ALGOLIA_SEARCH_KEY);
const search = searchIndex && {
  index: searchIndex,
  keys: algoliaSearchKeys({
    client: algoliaClient(env.ALGOLIA_APP_ID, env.ALGOLIA_SEARCH_KEY!),
    appId: env.ALGOLIA_APP_ID,
    searchApiKey: env.ALGOLIA_SEARCH_KEY!,
    primaryIndex: env.ALGOLIA_INDEX,
    indexNames: [env.ALGOLIA_INDEX, ...env.ALGOLIA_REPLICAS.split(',').filter(Boolean)],
  }),
};

export const { handler, onEvent } = serviceLambda('catalog', deps, {
  app: createCatalogApp({
    ...deps,
    objects,
    limits: { maxUploadBytes: env.MAX_UPLOAD_BYTES },
    ...(search ? { search } : {}),
  }),
  subscriptions: catalogSubscriptions({ table: deps.table, clock: deps.clock }),
});

/**
 * The search-sync state machine's SyncVideo task (infra/search.ts): reconciles one video of the
 * catalog with the Algolia index. Only its function carries the write key.
 */
export const syncVideo = async (input: unknown) => {
  const index = indexNamed(env.ALGOLIA_WRITE_KEY);
  if (!index) throw new Error('ALGOLIA_WRITE_KEY is not set: this export runs only as the search-sync task');
  return searchSync({ table: deps.table, index, clock: deps.clock, logger: deps.logger }).tasks.SyncVideo(input);
};
