import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { EventDefinition } from '#shared/events/define.js';

/** The one bus every service publishes to (through the outbox relay) and subscribes on. */
export const bus = new aws.cloudwatch.EventBus('bus', { name: 'kinema' });

/** Every event, kept long enough to replay what a region missed around a failover. */
export const archive = new aws.cloudwatch.EventArchive('bus-archive', {
  name: 'kinema-all',
  eventSourceArn: bus.arn,
  retentionDays: 14,
});

/** The only routing Kinema uses: exact source + detail-type, straight from the event catalog. */
export function eventPattern(event: EventDefinition): string {
  return JSON.stringify({ source: [event.source], 'detail-type': [event.type] });
}

/**
 * A rule delivering one catalog event to one Lambda; the subscription name names the rule. An
 * event EventBridge cannot deliver after its retries goes to the consumer's dead-letter queue.
 */
export function ruleFor(
  subscription: string,
  event: EventDefinition,
  target: aws.lambda.Function,
  deadLetterArn: pulumi.Input<string>,
) {
  const name = subscription.replace(/[^A-Za-z0-9_-]/g, '-');
  const rule = new aws.cloudwatch.EventRule(`rule-${name}`, {
    name: `kinema-${name}`,
    eventBusName: bus.name,
    eventPattern: eventPattern(event),
  });
  const permission = new aws.lambda.Permission(`rule-${name}-invoke`, {
    action: 'lambda:InvokeFunction',
    function: target.name,
    principal: 'events.amazonaws.com',
    sourceArn: rule.arn,
  });
  const eventTarget = new aws.cloudwatch.EventTarget(
    `rule-${name}-target`,
    {
      rule: rule.name,
      eventBusName: bus.name,
      arn: target.arn,
      // Consumers are idempotent (an inbox of handled ids), so retries are safe.
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 3600 },
      deadLetterConfig: { arn: deadLetterArn },
    },
    { dependsOn: [permission] },
  );
  return { rule, target: eventTarget, permission };
}
