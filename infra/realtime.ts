import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';
import type { ServiceExtras } from './services.js';

/** Live like counts go out on `likes/<videoId>` (services/engagement/src/domain/likes.ts). */
export const LIKES_NAMESPACE = 'likes';

/**
 * The namespace's handlers (APPSYNC_JS). Publishing is IAM-only already; these hold the shape:
 * only `{count}` with a non-negative integer is broadcast, and a subscription names one video
 * (no `likes/*`: one browser may not draw every video's updates).
 */
export const LIKES_HANDLERS = `import { util } from '@aws-appsync/utils';

export function onPublish(ctx) {
  return ctx.events.filter((event) => Number.isInteger(event.payload?.count) && event.payload.count >= 0);
}

export function onSubscribe(ctx) {
  const segments = ctx.info.channel.segments;
  if (segments.length !== 2 || segments[1] === '*') util.unauthorized();
}
`;

/** The viewer key is renewed a year ahead on each deploy; AppSync caps a key's life at 365 days. */
export function viewerKeyExpiry(now: number): string {
  const month = new Date(now);
  const start = Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1);
  return new Date(start + 360 * 24 * 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * AppSync Events for live like counts, one API per region stack (each region's engagement
 * publishes what its own table saw; replication brings the other region's likes into the count).
 *
 * Auth: browsers connect and subscribe with an API key, anonymous viewers included; publishing
 * takes IAM only, and the engagement role may publish on exactly this API's `likes` namespace.
 */
export function likesRealtime(config: Pick<StackConfig, 'region'>, now = Date.now()) {
  const api = new aws.appsync.Api('realtime', {
    name: `kinema-realtime-${config.region}`,
    eventConfig: {
      authProviders: [{ authType: 'API_KEY' }, { authType: 'AWS_IAM' }],
      connectionAuthModes: [{ authType: 'API_KEY' }, { authType: 'AWS_IAM' }],
      defaultPublishAuthModes: [{ authType: 'AWS_IAM' }],
      defaultSubscribeAuthModes: [{ authType: 'API_KEY' }],
    },
  });
  const namespace = new aws.appsync.ChannelNamespace('realtime-likes', {
    apiId: api.apiId,
    name: LIKES_NAMESPACE,
    publishAuthModes: [{ authType: 'AWS_IAM' }],
    subscribeAuthModes: [{ authType: 'API_KEY' }],
    codeHandlers: LIKES_HANDLERS,
  });
  const viewerKey = new aws.appsync.ApiKey('realtime-viewer-key', {
    apiId: api.apiId,
    description: 'Kinema web: anonymous viewers subscribe to live like counts (never publish)',
    expires: viewerKeyExpiry(now),
  });
  const httpDomain: pulumi.Output<string> = api.dns.apply((dns) => dns?.HTTP ?? '');
  const realtimeDomain: pulumi.Output<string> = api.dns.apply((dns) => dns?.REALTIME ?? '');
  /** What the engagement Lambdas get: where to publish, and leave to publish there only. */
  const publisher: ServiceExtras = {
    environment: { APPSYNC_HTTP_DOMAIN: httpDomain },
    grants: [{ Action: ['appsync:EventPublish'], Resource: [namespace.channelNamespaceArn] }],
  };
  return { api, namespace, viewerKey, publisher, httpDomain, realtimeDomain };
}
