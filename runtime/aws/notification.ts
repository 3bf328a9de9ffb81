import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { eventBridgeHandler } from '#platform/aws/event-consumer.js';
import { awsServiceDeps } from './service-deps.js';
import { createNotificationApp } from '#services/notification/src/http.js';
import { notificationSubscriptions } from '#services/notification/src/subscribers.js';

/** AWS composition root of the notification service: the same Hono app, on DynamoDB and Auth0. */
const deps = awsServiceDeps(process.env);

/** API Gateway (HTTP API) → `/api/notification/*`. */
export const handler = handle(new Hono().route('/api/notification', createNotificationApp(deps)));

/** EventBridge rules built from `notificationSubscriptions()` target this export. */
export const onEvent = eventBridgeHandler({
  subscriptions: notificationSubscriptions(),
  inbox: deps.table,
  now: () => deps.clock.now(),
  logger: deps.logger,
});
