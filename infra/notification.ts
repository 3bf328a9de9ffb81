import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { REMINDER_TEMPLATES } from '#services/notification/src/subscribers.js';
import { RemindersReconcileDue } from '#shared/events/notification.js';
import { deadLetterQueue, eventBridgeMayDeadLetter } from './alarms.js';
import { bus } from './bus.js';
import type { StackConfig } from './config.js';
import { policyDocument } from './iam.js';
import { runtimeSecret } from './secrets.js';
import type { ServiceExtras } from './services.js';

/** The notification service's events Lambda (infra/services.ts names it so). */
const EVENTS_FUNCTION = 'kinema-notification-events';
/** Filled once, in the primary: `aws secretsmanager put-secret-value --secret-id kinema/unsubscribe-key --secret-string "$(openssl rand -base64 32)"`. */
export const UNSUBSCRIBE_KEY_SECRET = 'kinema/unsubscribe-key';
/** What EventBridge Scheduler does when PutEvents fails: retry for up to a day, then the DLQ. */
const SCHEDULE_RETRY = { maximumEventAgeInSeconds: 24 * 3600, maximumRetryAttempts: 185 };

/**
 * Rental reminders on AWS (R7): the schedule group the one-time reminders live in, the role
 * EventBridge Scheduler assumes to put them on the bus, their dead-letter queue, the SES sending
 * identity and configuration set (SES's own suppression, and bounces/complaints as events that
 * feed the service's suppression list), the ja/en templates from the service's own source, and an
 * hourly reconciliation schedule — enabled in the primary only; a failover runbook enables it in
 * the promoted region, whose first run rebuilds the lost region's reminders.
 */
export function notificationInfra(config: StackConfig) {
  const account = aws.getCallerIdentityOutput().accountId;
  // Firings the scheduler could not put on the bus, and SES feedback the rule could not deliver.
  const dlq = deadLetterQueue('reminders-dlq', 'kinema-reminders-dlq');
  const deadLetters = dlq.queue;
  const group = new aws.scheduler.ScheduleGroup('reminders', { name: 'kinema-reminders' });
  const schedulerRole = new aws.iam.Role('reminders-scheduler-role', {
    name: `kinema-${config.region}-reminders-scheduler`,
    assumeRolePolicy: account.apply((id) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Only this account's schedules may use the role (the confused-deputy guard AWS documents).
            Condition: { StringEquals: { 'aws:SourceAccount': id } },
          },
        ],
      }),
    ),
  });
  new aws.iam.RolePolicy('reminders-scheduler-policy', {
    role: schedulerRole.id,
    policy: policyDocument([
      { Action: ['events:PutEvents'], Resource: [bus.arn] },
      { Action: ['sqs:SendMessage'], Resource: [deadLetters.arn] },
    ]),
  });

  const configurationSet = new aws.sesv2.ConfigurationSet('mail', {
    configurationSetName: 'kinema-mail',
    suppressionOptions: { suppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    deliveryOptions: { tlsPolicy: 'REQUIRE' },
    sendingOptions: { sendingEnabled: true },
  });
  const identity = new aws.sesv2.EmailIdentity('mail-domain', {
    emailIdentity: config.domain,
    configurationSetName: configurationSet.configurationSetName,
  });
  const templates = Object.entries(REMINDER_TEMPLATES).map(
    ([language, template]) =>
      new aws.ses.Template(`reminder-template-${language}`, {
        name: template.name,
        subject: template.subject,
        text: template.text,
        html: template.html,
      }),
  );
  // SES sends its events to the account's default bus only; a rule there hands bounces and
  // complaints to the notification service's events function.
  new aws.sesv2.ConfigurationSetEventDestination('mail-feedback', {
    configurationSetName: configurationSet.configurationSetName,
    eventDestinationName: 'kinema-mail-feedback',
    eventDestination: {
      enabled: true,
      matchingEventTypes: ['BOUNCE', 'COMPLAINT'],
      eventBridgeDestination: {
        eventBusArn: pulumi.interpolate`arn:aws:events:${config.region}:${account}:event-bus/default`,
      },
    },
  });
  const feedbackRule = new aws.cloudwatch.EventRule('mail-feedback', {
    name: 'kinema-mail-feedback',
    eventPattern: JSON.stringify({ source: ['aws.ses'], 'detail-type': ['Email Bounced', 'Email Complaint Received'] }),
  });
  const eventsFunctionArn = pulumi.interpolate`arn:aws:lambda:${config.region}:${account}:function:${EVENTS_FUNCTION}`;
  const feedbackInvoke = new aws.lambda.Permission('mail-feedback-invoke', {
    action: 'lambda:InvokeFunction',
    function: EVENTS_FUNCTION,
    principal: 'events.amazonaws.com',
    sourceArn: feedbackRule.arn,
  });
  eventBridgeMayDeadLetter('mail-feedback-dlq-policy', dlq, [feedbackRule.arn]);
  new aws.cloudwatch.EventTarget(
    'mail-feedback-target',
    {
      rule: feedbackRule.name,
      arn: eventsFunctionArn,
      retryPolicy: SCHEDULE_RETRY,
      deadLetterConfig: { arn: deadLetters.arn },
    },
    { dependsOn: [feedbackInvoke] },
  );

  const reconcile = new aws.scheduler.Schedule('reminders-reconcile', {
    name: 'kinema-reminders-reconcile',
    groupName: group.name,
    scheduleExpression: 'rate(1 hour)',
    flexibleTimeWindow: { mode: 'OFF' },
    state: config.role === 'primary' ? 'ENABLED' : 'DISABLED',
    target: {
      arn: bus.arn,
      roleArn: schedulerRole.arn,
      input: JSON.stringify({}),
      eventbridgeParameters: { source: RemindersReconcileDue.source, detailType: RemindersReconcileDue.type },
      retryPolicy: SCHEDULE_RETRY,
      deadLetterConfig: { arn: deadLetters.arn },
    },
  });

  const unsubscribeKey = runtimeSecret(
    config,
    'unsubscribe-key',
    UNSUBSCRIBE_KEY_SECRET,
    'HMAC key of one-click unsubscribe links (any 32 random bytes)',
  );

  return {
    account,
    deadLetters,
    group,
    schedulerRole,
    configurationSet,
    identity,
    templates,
    reconcile,
    unsubscribeKey,
  };
}

export type NotificationInfra = ReturnType<typeof notificationInfra>;

/**
 * The notification Lambda's environment (runtime/aws/notification.ts `NotificationEnv`) and
 * grants: schedules in its group only, PassRole on the scheduler role only, SendEmail from its
 * identity with its configuration set and templates only.
 */
export function notificationExtras(config: StackConfig, infra: NotificationInfra): ServiceExtras {
  const arn = (service: string, resource: pulumi.Input<string>) =>
    pulumi.interpolate`arn:aws:${service}:${config.region}:${infra.account}:${resource}`;
  return {
    environment: {
      SCHEDULE_GROUP_NAME: infra.group.name,
      SCHEDULER_ROLE_ARN: infra.schedulerRole.arn,
      SCHEDULER_DLQ_ARN: infra.deadLetters.arn,
      BUS_ARN: bus.arn,
      MAIL_FROM: `Kinema <no-reply@${config.domain}>`,
      SES_CONFIGURATION_SET: infra.configurationSet.configurationSetName,
      SITE_ORIGIN: config.siteOrigin,
      // The ARN only: the function reads the value at cold start (no secret in its configuration).
      UNSUBSCRIBE_SECRET_ARN: infra.unsubscribeKey.arn,
    },
    grants: [
      {
        Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        Resource: [pulumi.interpolate`${arn('scheduler', pulumi.interpolate`schedule/${infra.group.name}`)}/*`],
      },
      { Action: ['iam:PassRole'], Resource: [infra.schedulerRole.arn] },
      { Action: ['secretsmanager:GetSecretValue'], Resource: [infra.unsubscribeKey.arn] },
      {
        Action: ['ses:SendEmail'],
        Resource: [
          arn('ses', pulumi.interpolate`identity/${config.domain}`),
          arn('ses', pulumi.interpolate`configuration-set/${infra.configurationSet.configurationSetName}`),
          ...infra.templates.map((template) => arn('ses', pulumi.interpolate`template/${template.name}`)),
        ],
      },
    ],
  };
}
