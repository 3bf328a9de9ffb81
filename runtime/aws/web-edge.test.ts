import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createEdgeHandler, SECRET_RETRY_MS, type CloudFrontRequestEvent, type KitServer } from './web-edge.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kinema/web-AbCdEf';
const BAKED = {
  KINEMA_PUBLIC_URL: 'https://kinema.app',
  KINEMA_API_ORIGIN: 'https://kinema.app',
  KINEMA_OIDC_ISSUER: 'https://kinema.jp.auth0.com/',
  KINEMA_OIDC_CLIENT_ID: 'baked-client',
  KINEMA_OIDC_AUDIENCE: 'https://kinema.app/api',
};

/** A stand-in for SvelteKit's Server: records what it was given, answers what the test says. */
function fakeServer(answer: (request: Request) => Response | Promise<Response>) {
  const seen: { env?: Record<string, string>; requests: Request[]; addresses: string[] } = {
    requests: [],
    addresses: [],
  };
  const server: KitServer = {
    async init({ env }) {
      seen.env = env;
    },
    async respond(request, { getClientAddress }) {
      seen.requests.push(request);
      seen.addresses.push(getClientAddress());
      return answer(request);
    },
  };
  return { server, seen };
}

function event(method: string, uri: string, extra: Record<string, unknown> = {}): CloudFrontRequestEvent {
  return {
    Records: [
      {
        cf: {
          config: { eventType: 'origin-request' },
          request: {
            clientIp: '198.51.100.7',
            method,
            uri,
            querystring: 'lang=en',
            headers: {
              host: [{ key: 'Host', value: 'kinema-app-site-ap-northeast-1.s3.ap-northeast-1.amazonaws.com' }],
              cookie: [{ key: 'Cookie', value: 'kinema_lang=en' }],
            },
            ...extra,
          },
        },
      },
    ],
  };
}

function configFile(contents: object) {
  const file = join(mkdtempSync(join(tmpdir(), 'kinema-edge-config-')), 'edge-config.json');
  writeFileSync(file, JSON.stringify(contents));
  return pathToFileURL(file);
}

describe('createEdgeHandler', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());
  const manifest = { appDir: '_app', assets: new Set(['favicon.svg']) };

  it('reads the web secrets from Secrets Manager once, with the stack config over the baked one', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      ARN: SECRET_ARN,
      Name: 'kinema/web',
      VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
      SecretString: JSON.stringify({ KINEMA_OIDC_CLIENT_SECRET: 'from-sm', KINEMA_SESSION_SECRET: 'key-from-sm' }),
      VersionStages: ['AWSCURRENT'],
    });
    const { server, seen } = fakeServer(
      () => new Response('<!doctype html><p>ok</p>', { headers: { 'content-type': 'text/html' } }),
    );
    const handler = createEdgeHandler({
      server,
      manifest,
      baked: BAKED,
      configFile: configFile({
        KINEMA_OIDC_CLIENT_ID: 'stack-client',
        secrets: { secretId: SECRET_ARN, region: 'us-east-1' },
      }),
      environment: {},
      secretsClient: (region) => new SecretsManagerClient({ region }),
    });
    const first = await handler(event('GET', '/videos/v1'));
    await handler(event('GET', '/'));
    expect(first).toMatchObject({ status: '200', body: '<!doctype html><p>ok</p>', bodyEncoding: 'text' });
    expect(seen.env).toEqual({
      ...BAKED,
      KINEMA_OIDC_CLIENT_ID: 'stack-client',
      KINEMA_OIDC_CLIENT_SECRET: 'from-sm',
      KINEMA_SESSION_SECRET: 'key-from-sm',
    });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const [request] = seen.requests;
    expect(request?.url).toBe('https://kinema.app/videos/v1?lang=en');
    expect(request?.headers.get('host')).toBe('kinema.app');
    expect(request?.headers.get('cookie')).toBe('kinema_lang=en');
    expect(seen.addresses[0]).toBe('198.51.100.7');
  });

  it('renders without the web secrets while the secret is empty, and takes them once it is filled', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ $metadata: {}, message: "can't find the specified secret value" }))
      .resolves({ SecretString: JSON.stringify({ KINEMA_OIDC_CLIENT_SECRET: 'a', KINEMA_SESSION_SECRET: 'b' }) });
    const { server, seen } = fakeServer(() => new Response('ok'));
    let clock = 1_000_000;
    const handler = createEdgeHandler({
      server,
      manifest,
      baked: BAKED,
      configFile: configFile({ secrets: { secretId: SECRET_ARN, region: 'us-east-1' } }),
      now: () => clock,
    });
    await expect(handler(event('GET', '/'))).resolves.toMatchObject({ status: '200' });
    expect(seen.env).toEqual(BAKED);
    // Within the retry interval the empty secret is not read again.
    clock += SECRET_RETRY_MS - 1;
    await expect(handler(event('GET', '/videos/v1'))).resolves.toMatchObject({ status: '200' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    clock += 1;
    await expect(handler(event('GET', '/'))).resolves.toMatchObject({ status: '200' });
    expect(seen.env).toEqual({ ...BAKED, KINEMA_OIDC_CLIENT_SECRET: 'a', KINEMA_SESSION_SECRET: 'b' });
    // Complete now: never read again in this container.
    clock += 10 * SECRET_RETRY_MS;
    await handler(event('GET', '/'));
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(seen.requests).toHaveLength(4);
  });

  it('renders when the secret cannot be read or is not JSON, and never logs its value', async () => {
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void logged.push(line));
    try {
      for (const answer of [
        () => sm.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException: not authorised')),
        () => sm.on(GetSecretValueCommand).resolves({ SecretString: 'hunter2-not-json' }),
        () => sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ KINEMA_SESSION_SECRET: '' }) }),
      ]) {
        sm.reset();
        answer();
        const { server, seen } = fakeServer(() => new Response('ok'));
        const handler = createEdgeHandler({
          server,
          manifest,
          baked: BAKED,
          configFile: configFile({ secrets: { secretId: SECRET_ARN, region: 'us-east-1' } }),
        });
        await expect(handler(event('GET', '/'))).resolves.toMatchObject({ status: '200' });
        expect(seen.env).toEqual(BAKED);
      }
    } finally {
      spy.mockRestore();
    }
    expect(logged).toHaveLength(3);
    expect(logged.join('\n')).not.toContain('hunter2');
  });

  it('passes static files and /_app/* through to the origin untouched', async () => {
    const { server, seen } = fakeServer(() => new Response('never'));
    const handler = createEdgeHandler({ server, manifest, baked: BAKED, environment: {} });
    for (const uri of ['/favicon.svg', '/_app/immutable/entry/start.abc.js']) {
      const passed = event('GET', uri);
      expect(await handler(passed)).toEqual(passed.Records[0]!.cf.request);
    }
    expect(seen.requests).toEqual([]);
  });

  it('forwards a form body and returns every Set-Cookie, binary bodies as base64, no forbidden header', async () => {
    const { server, seen } = fakeServer(async (request) => {
      const headers = new Headers({ 'content-type': 'image/png', 'transfer-encoding': 'chunked', 'x-kinema': '1' });
      headers.append('set-cookie', 'a=1; Path=/; HttpOnly');
      headers.append('set-cookie', 'b=2; Path=/auth; HttpOnly');
      return new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47, ...Buffer.from(await request.text())]), {
        status: 201,
        headers,
      });
    });
    const handler = createEdgeHandler({
      server,
      manifest,
      baked: BAKED,
      environment: { KINEMA_OIDC_CLIENT_SECRET: 'x', KINEMA_SESSION_SECRET: 'y' },
    });
    const response = (await handler(
      event('POST', '/checkout', {
        body: {
          action: 'read-only',
          data: Buffer.from('kind=subscription').toString('base64'),
          encoding: 'base64',
          inputTruncated: false,
        },
      }),
    )) as { status: string; headers: Record<string, { value: string }[]>; body: string; bodyEncoding: string };
    expect(seen.requests[0]?.method).toBe('POST');
    expect(response.status).toBe('201');
    expect(response.headers['set-cookie']?.map((entry) => entry.value)).toEqual([
      'a=1; Path=/; HttpOnly',
      'b=2; Path=/auth; HttpOnly',
    ]);
    expect(response.headers['transfer-encoding']).toBeUndefined();
    expect(response.headers['x-kinema']).toEqual([{ key: 'x-kinema', value: '1' }]);
    expect(response.bodyEncoding).toBe('base64');
    expect(Buffer.from(response.body, 'base64').subarray(4).toString()).toBe('kind=subscription');
  });

  it('answers 413 when CloudFront truncated the body, without rendering', async () => {
    const { server, seen } = fakeServer(() => new Response('never'));
    const handler = createEdgeHandler({ server, manifest, baked: BAKED, environment: {} });
    const response = await handler(
      event('POST', '/admin/upload', { body: { data: 'AAAA', encoding: 'base64', inputTruncated: true } }),
    );
    expect(response).toMatchObject({ status: '413' });
    expect(seen.requests).toEqual([]);
  });
});
