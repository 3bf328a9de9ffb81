import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';

/**
 * Where every alarm of the region goes: one SNS topic, subscribed by `kinema:alarmEmail` (AWS
 * mails a confirmation link first; README: deploy). Nothing is dropped silently: each dead-letter
 * queue, Pipe, state machine and the HTTP API's 5xx rate alarm here.
 */
export const alarmTopic = new aws.sns.Topic('alarms', { name: 'kinema-alarms' });

export function alarmSubscription(config: StackConfig) {
  return new aws.sns.TopicSubscription('alarms-email', {
    topic: alarmTopic.arn,
    protocol: 'email',
    endpoint: config.alarmEmail,
  });
}

/** One evaluation of a minute, breaching on the first: a lost event is worth a page at once. */
const AT_ONCE = {
  period: 60,
  evaluationPeriods: 1,
  treatMissingData: 'notBreaching',
  alarmActions: [alarmTopic.arn],
  okActions: [alarmTopic.arn],
} satisfies Partial<aws.cloudwatch.MetricAlarmArgs>;

/**
 * A dead-letter queue with its alarm: anything in it is an event or invocation that failed every
 * retry, so the alarm fires on the first message. Kept 14 days (SQS's longest) for a redrive.
 */
export function deadLetterQueue(resourceName: string, name: string) {
  const queue = new aws.sqs.Queue(resourceName, {
    name,
    messageRetentionSeconds: 14 * 24 * 3600,
    sqsManagedSseEnabled: true,
  });
  const alarm = new aws.cloudwatch.MetricAlarm(`${resourceName}-depth`, {
    name: `${name}-not-empty`,
    alarmDescription: `${name} holds messages that failed every retry: read them, fix the cause, redrive (docs/disaster-recovery.md)`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: queue.name },
    statistic: 'Maximum',
    comparisonOperator: 'GreaterThanThreshold',
    threshold: 0,
    ...AT_ONCE,
  });
  return { queue, alarm };
}

export type DeadLetterQueue = ReturnType<typeof deadLetterQueue>;

/**
 * Lets EventBridge (rule targets of this region) put undeliverable events into a queue; the
 * condition keeps any other rule, account or service out.
 */
export function eventBridgeMayDeadLetter(resourceName: string, dlq: DeadLetterQueue, ruleArns: pulumi.Input<string>[]) {
  return new aws.sqs.QueuePolicy(resourceName, {
    queueUrl: dlq.queue.url,
    policy: pulumi.all([dlq.queue.arn, pulumi.all(ruleArns)]).apply(([queueArn, rules]) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'RuleTargetsDeadLetter',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { ArnEquals: { 'aws:SourceArn': rules } },
          },
        ],
      }),
    ),
  });
}

/** A Pipe that failed to deliver a batch (its dead letters alarm on their own). */
export function pipeFailureAlarm(resourceName: string, pipeName: pulumi.Input<string>) {
  return new aws.cloudwatch.MetricAlarm(resourceName, {
    name: pulumi.interpolate`${pipeName}-failed`,
    alarmDescription: 'The outbox relay failed executions: events may be waiting in its dead-letter queue',
    namespace: 'AWS/EventBridge/Pipes',
    metricName: 'ExecutionFailed',
    dimensions: { PipeName: pipeName },
    statistic: 'Sum',
    comparisonOperator: 'GreaterThanThreshold',
    threshold: 0,
    ...AT_ONCE,
  });
}

/** A state machine execution that failed, timed out or was aborted. */
export function stateMachineFailureAlarms(resourceName: string, stateMachineArn: pulumi.Input<string>) {
  return ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map(
    (metricName) =>
      new aws.cloudwatch.MetricAlarm(`${resourceName}-${metricName}`, {
        name: pulumi.interpolate`${resourceName}-${metricName}`,
        alarmDescription: 'A media pipeline run ended badly; the recover task restarts stuck videos',
        namespace: 'AWS/States',
        metricName,
        dimensions: { StateMachineArn: stateMachineArn },
        statistic: 'Sum',
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 0,
        ...AT_ONCE,
      }),
  );
}

/** More than 5 % of the HTTP API's answers are 5xx over five minutes (with at least 20 requests). */
export function api5xxRateAlarm(resourceName: string, apiId: pulumi.Input<string>) {
  const metric = (id: string, metricName: string) => ({
    id,
    metric: {
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensions: { ApiId: apiId, Stage: '$default' },
      period: 300,
      stat: 'Sum',
    },
  });
  return new aws.cloudwatch.MetricAlarm(resourceName, {
    name: 'kinema-api-5xx-rate',
    alarmDescription: 'More than 5 % of API answers are server errors (docs/disaster-recovery.md: detect)',
    comparisonOperator: 'GreaterThanThreshold',
    threshold: 5,
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
    alarmActions: [alarmTopic.arn],
    okActions: [alarmTopic.arn],
    metricQueries: [
      metric('errors', '5xx'),
      metric('requests', 'Count'),
      { id: 'rate', expression: 'IF(requests >= 20, 100 * errors / requests, 0)', label: '5xx %', returnData: true },
    ],
  });
}
