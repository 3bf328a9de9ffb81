import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RentalReminderDue } from '#shared/events/notification.js';
import { atExpression, eventBridgeScheduler } from './scheduler.js';

const ACCOUNT = '123456789012';
const GROUP = 'kinema-reminders-tokyo';
const BUS = `arn:aws:events:ap-northeast-1:${ACCOUNT}:event-bus/kinema-tokyo`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/kinema-scheduler-tokyo`;
const DLQ = `arn:aws:sqs:ap-northeast-1:${ACCOUNT}:kinema-reminders-dlq-tokyo`;
const NOW = Date.UTC(2030, 0, 1, 3, 0, 0);
const scheduleArn = (name: string) => `arn:aws:scheduler:ap-northeast-1:${ACCOUNT}:schedule/${GROUP}/${name}`;

const event = RentalReminderDue.create(
  { userId: 'u1', rentalId: 'r1', videoId: 'v1', expiresAt: '2030-01-03T03:00:00.000Z' },
  NOW,
  'rental-reminder-r1',
);

describe('eventBridgeScheduler', () => {
  const sdk = mockClient(SchedulerClient);
  beforeEach(() => sdk.reset());
  const scheduler = () =>
    eventBridgeScheduler({
      client: new SchedulerClient({ region: 'ap-northeast-1' }),
      groupName: GROUP,
      busArn: BUS,
      roleArn: ROLE,
      deadLetterArn: DLQ,
      now: () => NOW,
    });

  it('creates a one-time at() schedule in UTC: deleted after completion, no flexible window, bus target with role, retries and DLQ', async () => {
    sdk.on(CreateScheduleCommand).callsFake((input: { Name: string }) => ({ ScheduleArn: scheduleArn(input.Name) }));
    await scheduler().at('rental-reminder-abc', NOW + 43 * 3600_000 + 250, event);
    expect(sdk.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual({
      Name: 'rental-reminder-abc',
      GroupName: GROUP,
      ScheduleExpression: 'at(2030-01-02T22:00:01)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: 'kinema.notification/RentalReminderDue rental-reminder-r1',
      Target: {
        Arn: BUS,
        RoleArn: ROLE,
        Input: JSON.stringify(event.detail),
        EventBridgeParameters: { Source: 'kinema.notification', DetailType: 'RentalReminderDue' },
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: DLQ },
      },
    });
  });

  it('replaces a schedule of the same name (idempotent by name)', async () => {
    sdk.on(CreateScheduleCommand).rejects(
      new ConflictException({
        Message: 'Schedule rental-reminder-abc already exists.',
        message: 'Schedule rental-reminder-abc already exists.',
        $metadata: {},
      }),
    );
    sdk.on(UpdateScheduleCommand).callsFake((input: { Name: string }) => ({ ScheduleArn: scheduleArn(input.Name) }));
    await scheduler().at('rental-reminder-abc', NOW + 3600_000, event);
    const update = sdk.commandCalls(UpdateScheduleCommand)[0]!.args[0].input;
    expect(update).toMatchObject({ Name: 'rental-reminder-abc', ScheduleExpression: 'at(2030-01-01T04:00:00)' });
  });

  it('moves a time already past to a minute from now (EventBridge never fires a past at())', async () => {
    sdk.on(CreateScheduleCommand).resolves({ ScheduleArn: scheduleArn('x') });
    await scheduler().at('x', NOW - 5_000, event);
    expect(sdk.commandCalls(CreateScheduleCommand)[0]!.args[0].input.ScheduleExpression).toBe(
      'at(2030-01-01T03:01:00)',
    );
  });

  it('cancel deletes; a schedule already gone is not an error; other errors are', async () => {
    sdk
      .on(DeleteScheduleCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new ResourceNotFoundException({
          Message: 'Schedule x does not exist.',
          message: 'Schedule x does not exist.',
          $metadata: {},
        }),
      );
    await scheduler().cancel('x');
    await scheduler().cancel('x');
    expect(sdk.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([
      { Name: 'x', GroupName: GROUP },
      { Name: 'x', GroupName: GROUP },
    ]);
    sdk.on(DeleteScheduleCommand).rejects(new Error('AccessDeniedException'));
    await expect(scheduler().cancel('x')).rejects.toThrow('AccessDenied');
  });

  it('refuses names EventBridge would refuse', async () => {
    await expect(scheduler().at('a/b', NOW + 1, event)).rejects.toThrow(/schedule name/);
    await expect(scheduler().cancel('x'.repeat(65))).rejects.toThrow(/schedule name/);
    expect(sdk.calls()).toHaveLength(0);
    expect(atExpression(Date.UTC(2030, 0, 3, 3, 0, 0))).toBe('at(2030-01-03T03:00:00)');
  });
});
