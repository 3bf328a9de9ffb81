import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { REMINDER_TEMPLATES } from '#services/notification/src/subscribers.js';
import { parseStackConfig } from './config.js';
import type { ServiceExtras } from './services.js';
import { leastPrivilegeViolations, mockStack, statementsOf, valueOf } from './test-support.js';

// The real Tokyo stack file drives the mocks; only the notification module is built here.
const { config: raw, program } = mockStack('Pulumi.prod-tokyo.yaml', 'prod-tokyo');
const config = parseStackConfig(raw);
const ACCOUNT = '123456789012';
const region = config.region;
const BUS_ARN = `arn:aws:events:${region}:${ACCOUNT}:event-bus/kinema`;
const DLQ_ARN = `arn:aws:sqs:${region}:${ACCOUNT}:kinema-reminders-dlq`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/kinema-${region}-reminders-scheduler`;

let extras: ServiceExtras;

beforeAll(async () => {
  const { notificationExtras, notificationInfra } = await import('./notification.js');
  extras = notificationExtras(config, notificationInfra(config));
  await program.settled();
});

const resolved = (value: pulumi.Input<string>) =>
  pulumi.Output.isInstance(value) ? valueOf(value as pulumi.Output<string>) : Promise.resolve(value as string);

describe('notification infra (Tokyo, primary)', () => {
  it('keeps one-time reminders in their own schedule group, with an encrypted, alarmed dead-letter queue', () => {
    expect(program.named('aws:scheduler/scheduleGroup:ScheduleGroup', 'reminders').inputs.name).toBe(
      'kinema-reminders',
    );
    expect(program.named('aws:sqs/queue:Queue', 'reminders-dlq').inputs).toMatchObject({
      name: 'kinema-reminders-dlq',
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 1209600,
    });
    expect(program.named('aws:cloudwatch/metricAlarm:MetricAlarm', 'reminders-dlq-depth').inputs).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible',
      threshold: 0,
    });
  });

  it('lets only EventBridge Scheduler of this account assume the role, which may only put on the bus and the DLQ', () => {
    const trust = statementsOf(program.named('aws:iam/role:Role', 'reminders-scheduler-role').inputs.assumeRolePolicy);
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ]);
    const policy = statementsOf(
      program.named('aws:iam/rolePolicy:RolePolicy', 'reminders-scheduler-policy').inputs.policy,
    );
    expect(policy).toEqual([
      { Effect: 'Allow', Action: ['events:PutEvents'], Resource: [BUS_ARN] },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [DLQ_ARN] },
    ]);
  });

  it('sends from the site’s domain through a configuration set that suppresses bounces and complaints', () => {
    expect(program.named('aws:sesv2/emailIdentity:EmailIdentity', 'mail-domain').inputs).toMatchObject({
      emailIdentity: config.domain,
      configurationSetName: 'kinema-mail',
    });
    expect(program.named('aws:sesv2/configurationSet:ConfigurationSet', 'mail').inputs).toMatchObject({
      suppressionOptions: { suppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      deliveryOptions: { tlsPolicy: 'REQUIRE' },
    });
  });

  it('stores the ja and en templates from the very strings the service renders', () => {
    for (const template of Object.values(REMINDER_TEMPLATES)) {
      const stored = program.ofType('aws:ses/template:Template').find((t) => t.inputs.name === template.name);
      expect(stored?.inputs).toMatchObject({ subject: template.subject, text: template.text, html: template.html });
    }
  });

  it('hands SES bounces and complaints from the default bus to the notification events function', () => {
    const destination = program.named(
      'aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination',
      'mail-feedback',
    ).inputs;
    expect(destination.eventDestination).toMatchObject({
      enabled: true,
      matchingEventTypes: ['BOUNCE', 'COMPLAINT'],
      eventBridgeDestination: { eventBusArn: `arn:aws:events:${region}:${ACCOUNT}:event-bus/default` },
    });
    const rule = program.named('aws:cloudwatch/eventRule:EventRule', 'mail-feedback').inputs;
    expect(rule.eventBusName).toBeUndefined(); // the default bus
    expect(JSON.parse(String(rule.eventPattern))).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Bounced', 'Email Complaint Received'],
    });
    expect(program.named('aws:cloudwatch/eventTarget:EventTarget', 'mail-feedback-target').inputs).toMatchObject({
      arn: `arn:aws:lambda:${region}:${ACCOUNT}:function:kinema-notification-events`,
      deadLetterConfig: { arn: DLQ_ARN },
    });
    const dlqPolicy = statementsOf(
      program.named('aws:sqs/queuePolicy:QueuePolicy', 'mail-feedback-dlq-policy').inputs.policy,
    )[0] as { Principal?: unknown; Condition?: unknown };
    expect(dlqPolicy.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(dlqPolicy.Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': [`arn:aws:events:${region}:${ACCOUNT}:rule/kinema-mail-feedback`] },
    });
    expect(program.named('aws:lambda/permission:Permission', 'mail-feedback-invoke').inputs).toMatchObject({
      function: 'kinema-notification-events',
      principal: 'events.amazonaws.com',
    });
  });

  it('reconciles hourly in the primary: a recurring schedule putting RemindersReconcileDue on the bus', () => {
    expect(program.named('aws:scheduler/schedule:Schedule', 'reminders-reconcile').inputs).toMatchObject({
      groupName: 'kinema-reminders',
      scheduleExpression: 'rate(1 hour)',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: BUS_ARN,
        roleArn: ROLE_ARN,
        input: '{}',
        eventbridgeParameters: { source: 'kinema.notification', detailType: 'RemindersReconcileDue' },
        retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
        deadLetterConfig: { arn: DLQ_ARN },
      },
    });
  });

  it('creates the unsubscribe key secret empty, replicated, and never reads its value at deploy', () => {
    expect(program.named('aws:secretsmanager/secret:Secret', 'unsubscribe-key').inputs).toMatchObject({
      name: 'kinema/unsubscribe-key',
      replicas: [{ region: config.peerRegion }],
    });
    expect(program.ofType('aws:secretsmanager/secretVersion:SecretVersion')).toEqual([]);
    expect(program.calls.filter((call) => call.token.includes('getSecretVersion'))).toEqual([]);
  });

  it('gives the Lambda exactly what runtime/aws/notification.ts reads', async () => {
    expect(Object.keys(extras.environment ?? {}).sort()).toEqual(
      [
        'BUS_ARN',
        'MAIL_FROM',
        'SCHEDULER_DLQ_ARN',
        'SCHEDULER_ROLE_ARN',
        'SCHEDULE_GROUP_NAME',
        'SES_CONFIGURATION_SET',
        'SITE_ORIGIN',
        'UNSUBSCRIBE_SECRET_ARN',
      ].sort(),
    );
    expect(await resolved(extras.environment!.SCHEDULER_ROLE_ARN!)).toBe(ROLE_ARN);
    expect(await resolved(extras.environment!.MAIL_FROM!)).toBe(`Kinema <no-reply@${config.domain}>`);
  });

  it('grants schedules in its group only, PassRole on the scheduler role only, SendEmail on its own SES resources', async () => {
    const grants = await Promise.all(
      (extras.grants ?? []).map(async (grant) => ({
        Effect: 'Allow',
        Action: grant.Action,
        Resource: await Promise.all(grant.Resource.map((resource) => resolved(resource as pulumi.Input<string>))),
      })),
    );
    expect(grants).toEqual([
      {
        Effect: 'Allow',
        Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        Resource: [`arn:aws:scheduler:${region}:${ACCOUNT}:schedule/kinema-reminders/*`],
      },
      { Effect: 'Allow', Action: ['iam:PassRole'], Resource: [ROLE_ARN] },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [`arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:kinema/unsubscribe-key-AbCdEf`],
      },
      {
        Effect: 'Allow',
        Action: ['ses:SendEmail'],
        Resource: [
          `arn:aws:ses:${region}:${ACCOUNT}:identity/${config.domain}`,
          `arn:aws:ses:${region}:${ACCOUNT}:configuration-set/kinema-mail`,
          `arn:aws:ses:${region}:${ACCOUNT}:template/kinema-rental-reminder-ja`,
          `arn:aws:ses:${region}:${ACCOUNT}:template/kinema-rental-reminder-en`,
        ],
      },
    ]);
    for (const grant of grants) expect(leastPrivilegeViolations(grant)).toEqual([]);
  });
});
