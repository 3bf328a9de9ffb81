import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Scheduler } from '#shared/ports/scheduler.js';
import { assertScheduleName } from '#shared/ports/scheduler.js';

export interface EventBridgeSchedulerOptions {
  client: SchedulerClient;
  /** The schedule group (infra/notification.ts): deleting it deletes every schedule in it. */
  groupName: string;
  /** The Kinema event bus the schedules put their event on. */
  busArn: string;
  /** The role EventBridge Scheduler assumes to call PutEvents on the bus. */
  roleArn: string;
  /** Where a firing that exhausted its retries goes (an SQS queue). */
  deadLetterArn: string;
  /** Default: the SDK's clock; a time already past is moved to one minute from it. */
  now?: () => number;
}

/** EventBridge Scheduler retries a failed PutEvents for up to a day, 185 times at most. */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 24 * 3600, MaximumRetryAttempts: 185 };
const MIN_LEAD_MS = 60_000;

/** `at(2030-01-03T03:00:00)`: whole seconds, rounded up so a schedule never fires early. */
export const atExpression = (time: number) =>
  `at(${new Date(Math.ceil(time / 1000) * 1000).toISOString().slice(0, 19)})`;

/**
 * The Scheduler port on EventBridge Scheduler: one-time `at()` schedules in UTC, in a schedule
 * group, deleted after they complete, with the flexible window off, targeting the bus through a
 * role, with a retry policy and a dead-letter queue. The event's source and detail-type become
 * the PutEvents entry's, its detail the entry's detail (EventBridge assigns the id). Creating a
 * name that exists updates it, so `at` is idempotent by name.
 */
export function eventBridgeScheduler(options: EventBridgeSchedulerOptions): Scheduler {
  const { client, groupName } = options;
  const now = options.now ?? Date.now;
  return {
    async at(name, time, event) {
      assertScheduleName(name);
      const input: CreateScheduleCommandInput = {
        Name: name,
        GroupName: groupName,
        ScheduleExpression: atExpression(Math.max(time, now() + MIN_LEAD_MS)),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Description: `${event.source}/${event['detail-type']} ${event.id}`.slice(0, 512),
        Target: {
          Arn: options.busArn,
          RoleArn: options.roleArn,
          Input: JSON.stringify(event.detail),
          EventBridgeParameters: { Source: event.source, DetailType: event['detail-type'] },
          RetryPolicy: RETRY_POLICY,
          DeadLetterConfig: { Arn: options.deadLetterArn },
        },
      };
      try {
        await client.send(new CreateScheduleCommand(input));
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
        await client.send(new UpdateScheduleCommand(input));
      }
    },
    async cancel(name) {
      assertScheduleName(name);
      try {
        await client.send(new DeleteScheduleCommand({ Name: name, GroupName: groupName }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    },
  };
}
