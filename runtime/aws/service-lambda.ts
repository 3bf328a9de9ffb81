import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import type { AppEnv } from '#shared/http/app.js';
import type { Subscription } from '#shared/ports/bus.js';
import { eventBridgeHandler } from '#platform/aws/event-consumer.js';
import type { AwsServiceDeps } from './service-deps.js';

/**
 * The two Lambda entry points every service has, from its Hono app and its subscription list:
 * `handler` (API Gateway HTTP API → `/api/<name>/*`) and `onEvent` (the EventBridge rules infra
 * builds from the same subscriptions; deliveries go through the service table's inbox).
 * infra/lambda.ts HANDLERS names these two exports.
 */
export function serviceLambda(
  name: string,
  deps: Pick<AwsServiceDeps, 'table' | 'clock' | 'logger'>,
  parts: { app: Hono<AppEnv>; subscriptions: Subscription[] },
) {
  return {
    handler: handle(new Hono().route(`/api/${name}`, parts.app)),
    onEvent: eventBridgeHandler({
      subscriptions: parts.subscriptions,
      inbox: deps.table,
      now: () => deps.clock.now(),
      logger: deps.logger,
    }),
  };
}
