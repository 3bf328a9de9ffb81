import { createHash, createHmac } from 'node:crypto';
import type { Hash, Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { z } from 'zod';
import type { Realtime } from '#shared/ports/realtime.js';

export interface AppSyncCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AppSyncEventsOptions {
  /** The Event API's HTTP domain (`dns.HTTP`), e.g. `abc.appsync-api.ap-northeast-1.amazonaws.com`. */
  httpDomain: string;
  region: string;
  /** The Lambda role's credentials (or a provider of them); IAM is the namespace's only publish mode. */
  credentials: AppSyncCredentials | (() => Promise<AppSyncCredentials>);
  fetch?: typeof fetch;
  /** Abort a publish that takes longer; default 3 s. */
  timeoutMs?: number;
}

/** A channel is `/`-separated segments of letters, digits and `-`, at most five, 50 characters each. */
const Channel = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,50}(\/[A-Za-z0-9-]{1,50}){1,4}$/, 'an AppSync Events channel such as likes/<videoId>');

/** What `/event` answers: the events accepted and those refused (a handler may refuse some). */
const PublishResult = z.object({
  successful: z.array(z.object({ identifier: z.string(), index: z.number() })).default([]),
  failed: z
    .array(z.object({ identifier: z.string().optional(), index: z.number(), code: z.unknown(), message: z.unknown() }))
    .default([]),
});

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SHA-256 and HMAC-SHA-256 from node:crypto in the shape the signer takes (the SDK's own needs a package). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * The AWS Realtime adapter: publishes to an AppSync Events API over its HTTP endpoint
 * (`POST https://<http domain>/event`, body `{channel, events: [stringified JSON]}`), signed with
 * SigV4 for the `appsync` service. Browsers subscribe over AppSync's WebSocket protocol with the
 * API key, which the namespace allows to subscribe and never to publish.
 */
export function appSyncEvents(options: AppSyncEventsOptions): Realtime {
  const { httpDomain, region, fetch: fetchImpl = fetch, timeoutMs = 3000 } = options;
  const signer = new SignatureV4({
    service: 'appsync',
    region,
    credentials:
      typeof options.credentials === 'function'
        ? options.credentials
        : () => Promise.resolve(options.credentials as AppSyncCredentials),
    sha256: NodeSha256,
  });

  return {
    async publish(channel, message) {
      const body = JSON.stringify({ channel: Channel.parse(channel), events: [JSON.stringify(message)] });
      const signed = await signer.sign({
        method: 'POST',
        protocol: 'https:',
        hostname: httpDomain,
        path: '/event',
        headers: { host: httpDomain, 'content-type': 'application/json' },
        body,
      });
      const response = await fetchImpl(`https://${httpDomain}/event`, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) {
        throw new Error(
          `AppSync Events refused the publish to ${channel}: HTTP ${response.status} ${text.slice(0, 300)}`,
        );
      }
      const result = PublishResult.parse(JSON.parse(text));
      if (result.failed.length > 0) {
        throw new Error(`AppSync Events failed an event on ${channel}: ${JSON.stringify(result.failed[0])}`);
      }
    },
  };
}
