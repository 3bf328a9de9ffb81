import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { z } from 'zod';
import { eventBridgeHandler } from '#platform/aws/event-consumer.js';
import { eventBridgeScheduler } from '#platform/aws/scheduler.js';
import { sesMailer } from '#platform/aws/ses.js';
import { isSesEvent, suppressionsFromSes } from '#platform/aws/ses-feedback.js';
import { createNotificationApp } from '#services/notification/src/http.js';
import { rentalReminders } from '#services/notification/src/reminders.js';
import { notificationSubscriptions } from '#services/notification/src/subscribers.js';
import { parseConfig } from '#shared/config.js';
import { awsServiceDeps } from './service-deps.js';

/**
 * What infra/notification.ts adds to this Lambda's environment. The unsubscribe-link key is read
 * from Secrets Manager by Pulumi at deploy time and injected as a Pulumi-secret variable.
 */
export const NotificationEnv = z.object({
  SCHEDULE_GROUP_NAME: z.string().min(1),
  SCHEDULER_ROLE_ARN: z.string().startsWith('arn:aws:iam::'),
  SCHEDULER_DLQ_ARN: z.string().startsWith('arn:aws:sqs:'),
  BUS_ARN: z.string().startsWith('arn:aws:events:'),
  MAIL_FROM: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().min(1),
  SITE_ORIGIN: z.url(),
  UNSUBSCRIBE_SECRET: z.string().min(16),
});

/** AWS composition root of the notification service: DynamoDB, EventBridge Scheduler and SES v2. */
const deps = awsServiceDeps(process.env);
const env = parseConfig(NotificationEnv, process.env);

const reminders = rentalReminders({
  table: deps.table,
  scheduler: eventBridgeScheduler({
    client: new SchedulerClient({}),
    groupName: env.SCHEDULE_GROUP_NAME,
    busArn: env.BUS_ARN,
    roleArn: env.SCHEDULER_ROLE_ARN,
    deadLetterArn: env.SCHEDULER_DLQ_ARN,
  }),
  mailer: sesMailer({
    client: new SESv2Client({}),
    from: env.MAIL_FROM,
    configurationSetName: env.SES_CONFIGURATION_SET,
  }),
  clock: deps.clock,
  siteOrigin: env.SITE_ORIGIN,
  unsubscribeSecret: env.UNSUBSCRIBE_SECRET,
  logger: deps.logger,
});

/** API Gateway (HTTP API) → `/api/notification/*`. */
export const handler = handle(
  new Hono().route(
    '/api/notification',
    createNotificationApp({ reminders, verifier: deps.verifier, logger: deps.logger }),
  ),
);

const onBusEvent = eventBridgeHandler({
  subscriptions: notificationSubscriptions(reminders, deps.logger),
  inbox: deps.table,
  now: () => deps.clock.now(),
  logger: deps.logger,
});

/**
 * EventBridge rules built from `notificationSubscriptions()` target this export, and so does the
 * default-bus rule for SES's bounces and complaints (infra/notification.ts), which feed the
 * service's suppression list.
 */
export const onEvent = async (event: unknown) => {
  if (!isSesEvent(event)) return onBusEvent(event);
  for (const { address, reason } of suppressionsFromSes(event)) await reminders.suppress(address, reason);
};
