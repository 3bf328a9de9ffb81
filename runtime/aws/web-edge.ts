import { readFileSync } from 'node:fs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { secretsManagerSecrets } from '#platform/aws/secrets.js';

/**
 * The SvelteKit site on Lambda@Edge (origin-request): a CloudFront request in, a CloudFront
 * response out, rendered by SvelteKit's own `Server`, exactly as adapter-node renders it
 * standalone. `scripts/build-edge.ts` bundles this with the app into `dist/edge/index.mjs`.
 *
 * Lambda@Edge has no environment variables, so configuration comes from three places, later
 * ones winning: what the build baked in (the non-secret `KINEMA_*` variables set when
 * `npm run build:edge` ran), `edge-config.json` beside the code (written by the stack, infra/site.ts),
 * and the web's secrets (OIDC client secret, session key) read from Secrets Manager at cold start,
 * or, when no secret is configured (a local run, the tests), from the process environment.
 *
 * The secrets never hold rendering up: while `kinema/web` is empty (the first `pulumi up` creates
 * it so), unreadable or malformed, the site starts without them — anonymous pages render, a
 * session cookie reads as signed out, sign-in answers 503 "not configured yet" — and the secret is
 * read again at most once per `SECRET_RETRY_MS` until both values are there.
 */

/** The structural part of SvelteKit's `Server` this handler uses. */
export interface KitServer {
  init(options: { env: Record<string, string> }): Promise<void>;
  respond(request: Request, options: { getClientAddress(): string }): Promise<Response>;
}

/** What the manifest tells about files served as they are (the contents of `static/`). */
export interface KitManifest {
  appDir: string;
  assets: Set<string>;
}

/** The non-secret configuration names; the build refuses to bake anything else. */
export const PUBLIC_CONFIG_KEYS = [
  'KINEMA_PUBLIC_URL',
  'KINEMA_API_ORIGIN',
  'KINEMA_OIDC_ISSUER',
  'KINEMA_OIDC_CLIENT_ID',
  'KINEMA_OIDC_CLIENT_AUTH',
  'KINEMA_OIDC_AUDIENCE',
] as const;
/** The web's secrets: one Secrets Manager secret holds them as JSON. */
export const SECRET_KEYS = ['KINEMA_OIDC_CLIENT_SECRET', 'KINEMA_SESSION_SECRET'] as const;

const EdgeConfig = z.object({
  KINEMA_PUBLIC_URL: z.url(),
  KINEMA_API_ORIGIN: z.url(),
  KINEMA_OIDC_ISSUER: z.url(),
  KINEMA_OIDC_CLIENT_ID: z.string().min(1),
  KINEMA_OIDC_CLIENT_AUTH: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  KINEMA_OIDC_AUDIENCE: z.string().min(1),
  /** Where the web's secrets are: a secret ARN and its region (us-east-1 beside the function). */
  secrets: z.object({ secretId: z.string().min(1), region: z.string().min(1) }).optional(),
});
export type EdgeConfig = z.infer<typeof EdgeConfig>;

/** Each value is taken on its own: a missing or empty one is simply absent. */
const WebSecrets = z.object({
  KINEMA_OIDC_CLIENT_SECRET: z.string().min(1).optional().catch(undefined),
  KINEMA_SESSION_SECRET: z.string().min(1).optional().catch(undefined),
});
type WebSecrets = z.infer<typeof WebSecrets>;

/** How long a container waits before reading an empty or unreadable web secret again. */
export const SECRET_RETRY_MS = 60_000;

/** CloudFront's view of a header: lower-case name → the original spellings and values. */
type CloudFrontHeaders = Record<string, { key?: string; value: string }[]>;

const CloudFrontRequestEvent = z.object({
  Records: z
    .array(
      z.object({
        cf: z.object({
          config: z.object({ eventType: z.string() }).loose(),
          request: z
            .object({
              clientIp: z.string(),
              method: z.string(),
              uri: z.string().startsWith('/'),
              querystring: z.string().default(''),
              headers: z.record(z.string(), z.array(z.object({ key: z.string().optional(), value: z.string() }))),
              body: z
                .object({
                  data: z.string(),
                  encoding: z.enum(['base64', 'text']),
                  inputTruncated: z.boolean().default(false),
                })
                .loose()
                .optional(),
            })
            .loose(),
        }),
      }),
    )
    .min(1),
});
export type CloudFrontRequestEvent = z.input<typeof CloudFrontRequestEvent>;

export interface CloudFrontResponse {
  status: string;
  statusDescription?: string;
  headers: CloudFrontHeaders;
  body?: string;
  bodyEncoding?: 'text' | 'base64';
}

/**
 * Headers a Lambda@Edge response may not set (CloudFront rejects the whole response) or that
 * describe the connection rather than the content.
 */
const DISALLOWED = new Set([
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'upgrade',
  'via',
  'transfer-encoding',
  'x-accel-buffering',
  'x-accel-charset',
  'x-accel-limit-rate',
  'x-accel-redirect',
  'x-cache',
  'x-forwarded-proto',
  'x-real-ip',
  'content-length',
]);
const DISALLOWED_PREFIX = /^(x-amz-cf-|x-edge-)/;

/** Bodies CloudFront takes as text; anything else travels base64. */
const TEXTUAL = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|manifest\+json)|image\/svg\+xml)/;

/** Lambda@Edge refuses a generated response whose body exceeds 1 MB. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface EdgeHandlerOptions {
  server: KitServer;
  manifest: KitManifest;
  /** Non-secret values baked in at build time. */
  baked: Record<string, string>;
  /** The stack's `edge-config.json`, if there is one beside the code. */
  configFile?: URL;
  /** Where secrets come from when no Secrets Manager secret is configured (tests, local runs). */
  environment?: Record<string, string | undefined>;
  /** Tests replace the Secrets Manager client. */
  secretsClient?: (region: string) => SecretsManagerClient;
  /** Tests move time. */
  now?: () => number;
}

function readConfigFile(file: URL | undefined): Record<string, unknown> {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

function log(level: 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}) {
  console.error(JSON.stringify({ level, msg, ...fields }));
}

/**
 * The web's secrets, as many as there are: never throws. An empty secret (no version yet), one
 * that is not JSON, or a failed read gives fewer values, logged, and the caller tries again later.
 */
async function webSecrets(config: EdgeConfig, options: EdgeHandlerOptions): Promise<WebSecrets> {
  if (!config.secrets) {
    const environment = options.environment ?? process.env;
    return WebSecrets.parse(Object.fromEntries(SECRET_KEYS.map((key) => [key, environment[key]])));
  }
  const secretId = config.secrets.secretId;
  try {
    const client = (options.secretsClient ?? ((region) => new SecretsManagerClient({ region })))(config.secrets.region);
    const values = await secretsManagerSecrets({ client, ids: { web: secretId } }).refresh();
    if (!values.web) {
      log('warn', 'web secret holds no value yet: anonymous pages only (README: fill the secrets)', { secretId });
      return {};
    }
    const parsed = WebSecrets.parse(JSON.parse(values.web));
    const missing = SECRET_KEYS.filter((key) => !parsed[key]);
    if (missing.length > 0) log('warn', 'web secret lacks values: sign-in is off', { secretId, missing });
    return parsed;
  } catch (error) {
    // Never the value itself: a JSON error message could quote it.
    const reason = error instanceof SyntaxError || error instanceof z.ZodError ? 'not a JSON object' : String(error);
    log('error', 'web secret not read: anonymous pages only', { secretId, reason });
    return {};
  }
}

/** A CloudFront origin-request event → the Web request SvelteKit answers. */
export function toRequest(
  request: z.output<typeof CloudFrontRequestEvent>['Records'][number]['cf']['request'],
  publicUrl: string,
) {
  const url = new URL(`${request.uri}${request.querystring ? `?${request.querystring}` : ''}`, publicUrl);
  const headers = new Headers();
  for (const [name, values] of Object.entries(request.headers)) {
    for (const { value } of values) headers.append(name, value);
  }
  // The origin-request event carries the origin's host (the assets bucket): say the site's.
  headers.set('host', url.host);
  const method = request.method.toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD' && request.body && request.body.data !== '';
  return new Request(url, {
    method,
    headers,
    ...(hasBody
      ? { body: Buffer.from(request.body!.data, request.body!.encoding === 'base64' ? 'base64' : 'utf8') }
      : {}),
  });
}

/** A Web response → the response CloudFront sends to the viewer (every Set-Cookie kept). */
export async function toCloudFrontResponse(response: Response): Promise<CloudFrontResponse> {
  const headers: CloudFrontHeaders = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    if (DISALLOWED.has(key) || DISALLOWED_PREFIX.test(key)) return;
    (headers[key] ??= []).push({ key: name, value });
  };
  response.headers.forEach((value, name) => {
    if (name.toLowerCase() !== 'set-cookie') add(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) add('Set-Cookie', cookie);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) {
    return {
      status: '502',
      statusDescription: 'Bad Gateway',
      headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }] },
      body: 'The page is larger than Lambda@Edge can return.',
      bodyEncoding: 'text',
    };
  }
  const textual = TEXTUAL.test(response.headers.get('content-type') ?? 'text/plain');
  return {
    status: String(response.status),
    ...(response.statusText ? { statusDescription: response.statusText } : {}),
    headers,
    ...(bytes.length > 0
      ? textual
        ? { body: bytes.toString('utf8'), bodyEncoding: 'text' as const }
        : { body: bytes.toString('base64'), bodyEncoding: 'base64' as const }
      : {}),
  };
}

/**
 * The origin-request handler. Files of `static/` and `/_app/*` go on to the assets bucket (the
 * request is returned unchanged, so CloudFront fetches it); everything else is rendered.
 */
export function createEdgeHandler(options: EdgeHandlerOptions) {
  const now = options.now ?? Date.now;
  let ready: Promise<EdgeConfig> | undefined;
  /** While a secret value is missing: when to read the secret again. */
  let retryAt: number | undefined;

  const init = async (config: EdgeConfig) => {
    const secrets = await webSecrets(config, options);
    const complete = SECRET_KEYS.every((key) => secrets[key]);
    retryAt = complete ? undefined : now() + SECRET_RETRY_MS;
    const env: Record<string, string> = {};
    for (const key of SECRET_KEYS) {
      const value = secrets[key];
      if (value) env[key] = value;
    }
    for (const key of PUBLIC_CONFIG_KEYS) {
      const value = config[key];
      if (value !== undefined) env[key] = value;
    }
    await options.server.init({ env });
  };
  const start = async () => {
    const config = EdgeConfig.parse({ ...options.baked, ...readConfigFile(options.configFile) });
    await init(config);
    return config;
  };

  return async function handler(event: CloudFrontRequestEvent): Promise<CloudFrontResponse | Record<string, unknown>> {
    const parsed = CloudFrontRequestEvent.parse(event);
    const request = parsed.Records[0]!.cf.request;
    const raw = (event.Records[0] as { cf: { request: Record<string, unknown> } }).cf.request;
    const path = decodeURIComponent(request.uri).slice(1);
    if (path.startsWith(`${options.manifest.appDir}/`) || options.manifest.assets.has(path)) return raw;
    if (request.body?.inputTruncated) {
      return {
        status: '413',
        statusDescription: 'Payload Too Large',
        headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }] },
        body: 'The request body is too large.',
        bodyEncoding: 'text',
      };
    }
    // Cold start: configuration and secrets once per container; a failed start is retried next time.
    ready ??= start().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    let config = await ready;
    if (retryAt !== undefined && now() >= retryAt) {
      // The secret was empty or unreadable: read it again (SvelteKit allows init again for env).
      const known = config;
      ready = init(known).then(
        () => known,
        (error: unknown) => {
          ready = undefined;
          throw error;
        },
      );
      config = await ready;
    }
    const response = await options.server.respond(toRequest(request, config.KINEMA_PUBLIC_URL), {
      getClientAddress: () => request.clientIp,
    });
    return toCloudFrontResponse(response);
  };
}
