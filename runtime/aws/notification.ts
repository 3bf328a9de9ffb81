import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { z } from 'zod';
import { eventBridgeScheduler } from '#platform/aws/scheduler.js';
import { secretsManagerSecrets } from '#platform/aws/secrets.js';
import { sesMailer } from '#platform/aws/ses.js';
import { isSesEvent, suppressionsFromSes } from '#platform/aws/ses-feedback.js';
import { createNotificationApp } from '#services/notification/src/http.js';
import { rentalReminders } from '#services/notification/src/reminders.js';
import { notificationSubscriptions } from '#services/notification/src/subscribers.js';
import { parseConfig } from '#shared/config.js';
import { awsServiceDeps } from './service-deps.js';
import { serviceLambda } from './service-lambda.js';

/**
 * What infra/notification.ts adds to this Lambda's environment: names and ARNs, never a secret
 * value. The unsubscribe-link key is read from Secrets Manager at run time (cached; while the
 * secret is still empty, sends fail and retry and unsubscribe answers 503).
 */
export const NotificationEnv = z.object({
  SCHEDULE_GROUP_NAME: z.string().min(1),
  SCHEDULER_ROLE_ARN: z.string().startsWith('arn:aws:iam::'),
  SCHEDULER_DLQ_ARN: z.string().startsWith('arn:aws:sqs:'),
  BUS_ARN: z.string().startsWith('arn:aws:events:'),
  MAIL_FROM: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().min(1),
  SITE_ORIGIN: z.url(),
  UNSUBSCRIBE_SECRET_ARN: z.string().startsWith('arn:aws:secretsmanager:'),
});

/** AWS composition root of the notification service: DynamoDB, EventBridge Scheduler and SES v2. */
const deps = awsServiceDeps(process.env);
const env = parseConfig(NotificationEnv, process.env);
const secrets = secretsManagerSecrets<'unsubscribeKey'>({
  client: new SecretsManagerClient({}),
  ids: { unsubscribeKey: env.UNSUBSCRIBE_SECRET_ARN },
});

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
  unsubscribeSecret: async () => (await secrets.get()).unsubscribeKey,
  logger: deps.logger,
});

const lambda = serviceLambda('notification', deps, {
  app: createNotificationApp({ reminders, verifier: deps.verifier, logger: deps.logger }),
  subscriptions: notificationSubscriptions(reminders, deps.logger),
});

export const handler = lambda.handler;

/**
 * The bus rules target this, and so does the default-bus rule for SES's bounces and complaints
 * (infra/notification.ts), which feed the service's suppression list.
 */
export const onEvent = async (event: unknown) => {
  if (!isSesEvent(event)) return lambda.onEvent(event);
  for (const { address, reason } of suppressionsFromSes(event)) await reminders.suppress(address, reason);
};
