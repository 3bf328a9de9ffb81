import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';
import { createNotificationApp } from '#services/notification/src/http.js';
import { notificationSubscriptions } from '#services/notification/src/subscribers.js';

/** AWS composition root of the notification service: the same Hono app, on DynamoDB and Auth0. */
const deps = awsServiceDeps(process.env);

export const { handler, onEvent } = serviceLambda('notification', deps, {
  app: createNotificationApp(deps),
  subscriptions: notificationSubscriptions(),
});
