import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { eventBridgeHandler } from '../../../platform/aws/event-consumer.js';
import { awsServiceDeps } from '../../../platform/aws/service-deps.js';
import { createEntitlementApp } from './http.js';
import { entitlementSubscriptions } from './subscribers.js';

/** AWS composition root of the entitlement service: the same Hono app, on DynamoDB and Auth0. */
const deps = awsServiceDeps(process.env);

/** API Gateway (HTTP API) → `/api/entitlement/*`. */
export const handler = handle(new Hono().route('/api/entitlement', createEntitlementApp(deps)));

/** EventBridge rules built from `entitlementSubscriptions()` target this export. */
export const onEvent = eventBridgeHandler({
  subscriptions: entitlementSubscriptions(),
  inbox: deps.table,
  now: () => deps.clock.now(),
  logger: deps.logger,
});
