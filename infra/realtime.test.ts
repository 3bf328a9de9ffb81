import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { policyDocument } from './iam.js';
import { leastPrivilegeViolations, statementsOf, valueOf } from './test-support.js';
import type { Recorded } from './test-support.js';

const REGION = 'ap-northeast-1';
const ACCOUNT = '123456789012';
const API_ID = 'a1b2c3d4e5f6g7h8i9j0k1l2m3';
const resources: Recorded[] = [];

beforeAll(async () => {
  // Answers as AppSync does: an API id, its ARN and DNS names; a namespace ARN; a generated key.
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          region: REGION,
        });
        const apiArn = `arn:aws:appsync:${REGION}:${ACCOUNT}:apis/${API_ID}`;
        switch (args.type) {
          case 'aws:appsync/api:Api':
            return {
              id: API_ID,
              state: {
                ...args.inputs,
                apiId: API_ID,
                apiArn,
                dns: {
                  HTTP: `${API_ID}.appsync-api.${REGION}.amazonaws.com`,
                  REALTIME: `${API_ID}.appsync-realtime-api.${REGION}.amazonaws.com`,
                },
              },
            };
          case 'aws:appsync/channelNamespace:ChannelNamespace':
            return {
              id: `${API_ID},${String(args.inputs.name)}`,
              state: { ...args.inputs, channelNamespaceArn: `${apiArn}/channelNamespace/${String(args.inputs.name)}` },
            };
          case 'aws:appsync/apiKey:ApiKey':
            return { id: `${API_ID}:da2-id`, state: { ...args.inputs, key: 'da2-abcdefghijklmnopqrstuvwxyz' } };
          default:
            return { id: `${args.name}-id`, state: args.inputs };
        }
      },
      call: (args) => args.inputs,
    },
    'kinema',
    'prod-tokyo',
    false,
  );
});

let loaded: Promise<{
  realtime: ReturnType<(typeof import('./realtime.js'))['likesRealtime']>;
  LIKES_HANDLERS: string;
  viewerKeyExpiry: (now: number) => string;
}>;
/** The program, registered once: the namespace and the key wait on the API's id. */
const load = () =>
  (loaded ??= (async () => {
    const { likesRealtime, LIKES_HANDLERS, viewerKeyExpiry } = await import('./realtime.js');
    const realtime = likesRealtime({ region: REGION }, Date.UTC(2030, 4, 17));
    await Promise.all([
      valueOf(realtime.httpDomain),
      valueOf(realtime.namespace.channelNamespaceArn),
      valueOf(realtime.viewerKey.id),
    ]);
    return { realtime, LIKES_HANDLERS, viewerKeyExpiry };
  })());
const ofType = (type: string) => resources.filter((resource) => resource.type === type);

describe('AppSync Events for live likes', () => {
  it('lets viewers connect and subscribe with the API key, and publishing only with IAM', async () => {
    await load();
    const [api] = ofType('aws:appsync/api:Api');
    expect(api?.inputs).toMatchObject({
      name: 'kinema-realtime-ap-northeast-1',
      eventConfig: {
        authProviders: [{ authType: 'API_KEY' }, { authType: 'AWS_IAM' }],
        connectionAuthModes: expect.arrayContaining([{ authType: 'API_KEY' }]),
        defaultPublishAuthModes: [{ authType: 'AWS_IAM' }],
        defaultSubscribeAuthModes: [{ authType: 'API_KEY' }],
      },
    });
    const [namespace] = ofType('aws:appsync/channelNamespace:ChannelNamespace');
    expect(namespace?.inputs).toMatchObject({
      apiId: API_ID,
      name: 'likes',
      publishAuthModes: [{ authType: 'AWS_IAM' }],
      subscribeAuthModes: [{ authType: 'API_KEY' }],
    });
    const [key] = ofType('aws:appsync/apiKey:ApiKey');
    expect(key?.inputs).toMatchObject({ apiId: API_ID, expires: '2031-04-26T00:00:00Z' });
  });

  it('runs namespace handlers that keep only {count} and refuse wildcard subscriptions', async () => {
    const { LIKES_HANDLERS } = await load();
    const [namespace] = ofType('aws:appsync/channelNamespace:ChannelNamespace');
    expect(namespace?.inputs.codeHandlers).toBe(LIKES_HANDLERS);
    // Run the handlers as AppSync's JS runtime would, with its `util` stood in.
    const source = LIKES_HANDLERS.replace(/^import .*$/m, '').replace(/export function/g, 'function');
    const unauthorized = new Error('Unauthorized');
    const util = {
      unauthorized: () => {
        throw unauthorized;
      },
    };
    const handlers = new Function('util', `${source}; return { onPublish, onSubscribe };`)(util) as {
      onPublish(ctx: unknown): unknown[];
      onSubscribe(ctx: unknown): void;
    };
    const events = [
      { id: '1', payload: { count: 3 } },
      { id: '2', payload: { count: -1 } },
      { id: '3', payload: { count: 'lots' } },
      { id: '4', payload: { html: '<script>' } },
    ];
    expect(handlers.onPublish({ events })).toEqual([{ id: '1', payload: { count: 3 } }]);
    const subscribe = (segments: string[]) => () =>
      handlers.onSubscribe({ info: { channel: { path: `/${segments.join('/')}`, segments } } });
    expect(subscribe(['likes', '01hzy3v4k8m2n5p7q9r1s3t5v7'])).not.toThrow();
    expect(subscribe(['likes', '*'])).toThrow(unauthorized);
    expect(subscribe(['likes'])).toThrow(unauthorized);
    expect(subscribe(['likes', 'a', 'b'])).toThrow(unauthorized);
  });

  it('gives the publisher EventPublish on exactly this API’s likes namespace, and its HTTP domain', async () => {
    const { realtime } = await load();
    const statements = statementsOf(await valueOf(policyDocument(realtime.publisher.grants ?? [])));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['appsync:EventPublish'],
        Resource: [`arn:aws:appsync:${REGION}:${ACCOUNT}:apis/${API_ID}/channelNamespace/likes`],
      },
    ]);
    for (const statement of statements) expect(leastPrivilegeViolations(statement)).toEqual([]);
    expect(await valueOf(pulumi.output(realtime.publisher.environment?.APPSYNC_HTTP_DOMAIN ?? ''))).toBe(
      `${API_ID}.appsync-api.${REGION}.amazonaws.com`,
    );
  });

  it('renews the viewer key a year ahead, moving only once a month', async () => {
    const { viewerKeyExpiry } = await load();
    expect(viewerKeyExpiry(Date.UTC(2030, 4, 1))).toBe(viewerKeyExpiry(Date.UTC(2030, 4, 31, 23)));
    const days = (Date.parse(viewerKeyExpiry(Date.UTC(2030, 4, 31))) - Date.UTC(2030, 4, 31)) / 86_400_000;
    expect(days).toBeGreaterThan(320);
    expect(days).toBeLessThan(365);
  });
});
