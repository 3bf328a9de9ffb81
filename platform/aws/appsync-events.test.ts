import { createHash, createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appSyncEvents } from './appsync-events.js';

const DOMAIN = 'abcdefghijklmnopqrstuvwxyz.appsync-api.ap-northeast-1.amazonaws.com';
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};

/** Records requests and answers as AppSync Events' `/event` does. */
function recordingFetch(answer: (body: { channel: string; events: string[] }) => Response) {
  const requests: { url: string; method: string; headers: Record<string, string>; body: string }[] = [];
  const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
    const headers = Object.fromEntries(
      Object.entries(init?.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const body = String(init?.body);
    requests.push({ url: String(url), method: init?.method ?? 'GET', headers, body });
    return answer(JSON.parse(body) as { channel: string; events: string[] });
  }) as typeof fetch;
  return { fetchStub, requests };
}
const accepted = (body: { events: string[] }) =>
  Response.json({
    failed: [],
    successful: body.events.map((_, index) => ({ identifier: `4d5c2a5e-8d1e-4a6b-9f3c-${index}`, index })),
  });

/** SigV4 recomputed by hand from the spec, to check the signer's output independently. */
function expectedSignature(
  request: { method: string; headers: Record<string, string>; body: string },
  signed: string[],
) {
  const amzDate = request.headers['x-amz-date']!;
  const day = amzDate.slice(0, 8);
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const canonical = [
    request.method,
    '/event',
    '',
    ...signed.map((name) => `${name}:${request.headers[name]!.trim()}`),
    '',
    signed.join(';'),
    sha(request.body),
  ].join('\n');
  const scope = `${day}/ap-northeast-1/appsync/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(day).digest();
  for (const part of ['ap-northeast-1', 'appsync', 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2030-01-01T12:00:00Z'));
});
afterEach(() => vi.useRealTimers());

describe('AppSync Events publisher', () => {
  it('POSTs {channel, events: [stringified JSON]} to /event, SigV4-signed for appsync', async () => {
    const { fetchStub, requests } = recordingFetch(accepted);
    const realtime = appSyncEvents({ httpDomain: DOMAIN, region: 'ap-northeast-1', credentials, fetch: fetchStub });
    await realtime.publish('likes/01hzy3v4k8m2n5p7q9r1s3t5v7', { count: 42 });

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.url).toBe(`https://${DOMAIN}/event`);
    expect(request!.method).toBe('POST');
    expect(JSON.parse(request!.body)).toEqual({
      channel: 'likes/01hzy3v4k8m2n5p7q9r1s3t5v7',
      events: ['{"count":42}'],
    });
    expect(request!.headers['x-amz-date']).toBe('20300101T120000Z');
    expect(request!.headers['x-amz-security-token']).toBe('session-token-example');
    const authorization = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      request!.headers.authorization!,
    );
    expect(authorization?.[1]).toBe('AKIAIOSFODNN7EXAMPLE/20300101/ap-northeast-1/appsync/aws4_request');
    const signedHeaders = authorization![2]!.split(';');
    expect(signedHeaders).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date']));
    expect(authorization?.[3]).toBe(expectedSignature(request!, signedHeaders));
  });

  it('takes a credentials provider (the Lambda role’s rotating keys)', async () => {
    const { fetchStub, requests } = recordingFetch(accepted);
    const provider = vi.fn(async () => ({ ...credentials, accessKeyId: 'ASIAROTATED' }));
    const realtime = appSyncEvents({
      httpDomain: DOMAIN,
      region: 'ap-northeast-1',
      credentials: provider,
      fetch: fetchStub,
    });
    await realtime.publish('likes/v1', { count: 1 });
    expect(provider).toHaveBeenCalled();
    expect(requests[0]!.headers.authorization).toContain('Credential=ASIAROTATED/');
  });

  it('throws on a refusal (401/403) and on events the namespace handler failed', async () => {
    const denied = recordingFetch(() =>
      Response.json(
        { errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] },
        { status: 401 },
      ),
    );
    const refusing = appSyncEvents({
      httpDomain: DOMAIN,
      region: 'ap-northeast-1',
      credentials,
      fetch: denied.fetchStub,
    });
    await expect(refusing.publish('likes/v1', { count: 1 })).rejects.toThrow(/HTTP 401.*UnauthorizedException/);

    const failing = recordingFetch(() =>
      Response.json({
        successful: [],
        failed: [{ identifier: 'x', index: 0, code: 400, message: 'count must be a number' }],
      }),
    );
    const partial = appSyncEvents({
      httpDomain: DOMAIN,
      region: 'ap-northeast-1',
      credentials,
      fetch: failing.fetchStub,
    });
    await expect(partial.publish('likes/v1', { count: -1 })).rejects.toThrow(/count must be a number/);
  });

  it('refuses channels AppSync would reject, before any request', async () => {
    const { fetchStub, requests } = recordingFetch(accepted);
    const realtime = appSyncEvents({ httpDomain: DOMAIN, region: 'ap-northeast-1', credentials, fetch: fetchStub });
    for (const channel of ['likes', 'likes/a_b', 'likes/../x', `likes/${'a'.repeat(51)}`, '/likes/v1']) {
      await expect(realtime.publish(channel, { count: 1 }), channel).rejects.toThrow();
    }
    expect(requests).toEqual([]);
  });
});
