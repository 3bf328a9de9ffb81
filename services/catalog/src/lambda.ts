import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { eventBridgeHandler } from '../../../platform/aws/event-consumer.js';
import { awsServiceDeps } from '../../../platform/aws/service-deps.js';
import { createCatalogApp } from './http.js';
import { catalogSubscriptions } from './subscribers.js';

/** AWS composition root of the catalog service: the same Hono app, on DynamoDB and Auth0. */
const deps = awsServiceDeps(process.env);

/** API Gateway (HTTP API) → `/api/catalog/*`. */
export const handler = handle(new Hono().route('/api/catalog', createCatalogApp(deps)));

/** EventBridge rules built from `catalogSubscriptions()` target this export. */
export const onEvent = eventBridgeHandler({
  subscriptions: catalogSubscriptions(),
  inbox: deps.table,
  now: () => deps.clock.now(),
  logger: deps.logger,
});
