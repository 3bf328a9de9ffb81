import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { eventBridgeHandler } from '../../../platform/aws/event-consumer.js';
import { awsServiceDeps } from '../../../platform/aws/service-deps.js';
import { createMediaApp } from './http.js';
import { mediaSubscriptions } from './subscribers.js';

/** AWS composition root of the media service: the same Hono app, on DynamoDB and Auth0. */
const deps = awsServiceDeps(process.env);

/** API Gateway (HTTP API) → `/api/media/*`. */
export const handler = handle(new Hono().route('/api/media', createMediaApp(deps)));

/** EventBridge rules built from `mediaSubscriptions()` target this export. */
export const onEvent = eventBridgeHandler({
  subscriptions: mediaSubscriptions(),
  inbox: deps.table,
  now: () => deps.clock.now(),
  logger: deps.logger,
});
