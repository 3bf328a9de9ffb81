import { OpenAPIHono } from '@hono/zod-openapi';
import type { RouteConfig } from '@hono/zod-openapi';
import type { Context, Handler, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { AppError, errorStatus, invalidInput } from '../errors.js';
import { ValidationError, validationError } from './field-errors.js';
import type { FieldError } from './field-errors.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { Principal } from '../ports/token-verifier.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal | undefined;
  };
}

/** The largest JSON body a route takes unless it says otherwise (`KINEMA_MAX_JSON_BYTES` standalone). */
export const DEFAULT_MAX_JSON_BYTES = 64 * 1024;

/** The name of the bearer-token security scheme every service app declares. */
export const BEARER = 'bearerAuth';

/** Where a service app describes itself (OpenAPI 3.1); `/api/<service>/openapi.json` once mounted. */
export const OPENAPI_PATH = '/openapi.json';

export function errorBody(code: string, message: string, details?: unknown, fields?: readonly FieldError[]) {
  return {
    error: {
      code,
      message,
      ...(details === undefined ? {} : { details }),
      ...(fields === undefined ? {} : { fields }),
    },
  };
}

const codeOfStatus = new Map<number, ErrorCode>(
  Object.entries(errorStatus).map(([code, status]) => [status, code as ErrorCode]),
);

/** A status Hono or a middleware threw, as the machine code the error contract names. */
function codeOf(status: number): ErrorCode {
  return codeOfStatus.get(status) ?? (status < 500 ? 'invalid_input' : 'internal');
}

/**
 * A service's Hono app with the one error mapping every app shares: typed errors become their
 * status and JSON body, anything else is logged with the request id and answered 500 `internal`.
 * It is an `OpenAPIHono`: routes declared with `createRoute` are validated by their zod schemas
 * (failures become the same 400 `invalid_input` as `parseInput`) and described at `/openapi.json`;
 * a JSON body is read by `jsonBody` first, so 415/413/bad JSON answer as `readJson` always did.
 * `describe: false` leaves that route out (for apps that are not a service's API, e.g. the media edge).
 */
export function serviceApp(
  options: { logger?: Logger; title?: string; describe?: boolean; maxJsonBytes?: number } = {},
) {
  const logger = options.logger ?? silentLogger;
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      // The validator hands the hook the parsed input as `data` (its type leaves it out).
      if (!result.success) throw invalidInputFrom(result.error, (result as { data?: unknown }).data);
    },
  });
  // A route whose body is a zod-described JSON body gets `jsonBody` after its own middleware
  // (so who-may-call is answered first), whoever writes the route.
  const declare = app.openapi as (route: RouteConfig, handler: Handler, hook?: unknown) => unknown;
  const json = jsonBody(options.maxJsonBytes);
  app.openapi = ((route: RouteConfig, handler: Handler, hook?: unknown) => {
    const content = route.request?.body?.content;
    const media = content?.['application/json'];
    const body = media && 'schema' in media ? media.schema : undefined;
    if (!(typeof body === 'object' && body !== null && 'safeParse' in body)) return declare(route, handler, hook);
    const middleware = [...(route.middleware === undefined ? [] : [route.middleware].flat()), json];
    if (hook !== undefined || route.request?.body?.required !== true || Object.keys(content ?? {}).length !== 1) {
      return declare({ ...route, middleware }, handler, hook);
    }
    // The usual case, a required JSON body and nothing else: described as declared, but checked by
    // the handler's own step instead of @hono/zod-openapi's media-type gate and body validator
    // (two more middleware, a second JSON.parse, ~5 µs of a 48-title `POST /access`).
    const { middleware: _middleware, hide, ...described } = route;
    if (!hide) app.openAPIRegistry.registerPath(described);
    const { body: _body, ...request } = route.request!;
    return declare({ ...route, hide: true, request, middleware }, validatedJson(body as z.ZodType, handler));
  }) as typeof app.openapi;
  app.use(echoRequestId);
  app.onError((error, c) => {
    if (error instanceof ValidationError) {
      return c.json(errorBody(error.code, error.message, error.details, error.fields), error.status);
    }
    if (error instanceof AppError) {
      return c.json(errorBody(error.code, error.message, error.details), error.status);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      return c.json(errorBody(codeOf(status), error.message || 'request refused'), status);
    }
    logger.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, err: error });
    return c.json(errorBody('internal', `something went wrong (request ${c.get('requestId')})`), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from the identity provider (standalone: `npx kinema token --email E`).',
  });
  if (options.describe !== false) {
    // Not `doc31()`: a generator failure should be the contract's 500, not a serialised exception.
    const info = { title: options.title ?? 'Kinema service', version: '1' };
    app.get(OPENAPI_PATH, (c) => c.json(app.getOpenAPI31Document({ openapi: '3.1.0', info })));
  }
  return app;
}

export type ServiceApp = ReturnType<typeof serviceApp>;

/**
 * Keeps a caller's (or the standalone server's) X-Request-Id, else makes one (`requestIdOf`, the
 * rule of `hono/request-id`), for `c.get('requestId')` and echoed on the response. Behind
 * @hono/node-server the header goes onto Node's response, which merges it into the head it
 * writes: through `c.header` every response would carry a web `Headers` object that
 * @hono/node-server then has to convert (~3 µs of CPU of a ~30 µs signed-in call). Elsewhere
 * (Lambda, `app.request`) it goes through `c.header`.
 */
const echoRequestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = requestIdOf(c.req.header('x-request-id'));
  c.set('requestId', id);
  const outgoing = nodeResponseOf(c.env);
  if (outgoing) outgoing.setHeader('x-request-id', id);
  else c.header('X-Request-Id', id);
  await next();
};

/** The Node response @hono/node-server passes as `c.env.outgoing`, before its head is written. */
function nodeResponseOf(env: unknown): { setHeader(name: string, value: string): unknown } | undefined {
  const outgoing = (env as { outgoing?: { setHeader?: unknown; headersSent?: unknown } } | undefined)?.outgoing;
  return typeof outgoing?.setHeader === 'function' && outgoing.headersSent === false
    ? (outgoing as { setHeader(name: string, value: string): unknown })
    : undefined;
}

/**
 * The id of a request as `hono/request-id` settles it: the caller's `X-Request-Id` when it is at
 * most 255 characters of `[A-Za-z0-9_=-]`, else a new UUID. Front doors that are not Hono (the
 * standalone server's request log) use it so that their id and the apps' id are the same.
 */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && header.length > 0 && header.length <= 255 && !/[^\w\-=]/.test(header)
    ? header
    : crypto.randomUUID();
}

/**
 * Route middleware for a JSON body, run before the route's schema validator so the answers stay
 * the error contract's: a content type other than JSON → 415, a body above `maxBytes` → 413
 * (Hono's body limit, which also counts bytes of bodies sent without a length), bytes that are not
 * JSON → 400. The parsed body is cached on the request, so the validator does not read it twice.
 */
export function jsonBody(maxBytes = DEFAULT_MAX_JSON_BYTES): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
    },
  });
  const readJson = async (c: Context, next: () => Promise<void>) => {
    try {
      parsedBodies.set(c, await c.req.json());
    } catch {
      throw invalidInput('the body is not valid JSON');
    }
    await next();
  };
  return async (c, next) => {
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      throw new AppError('unsupported_media_type', 'send the body as application/json');
    }
    // A body with a Content-Length (and no Transfer-Encoding) is judged by that header, as
    // `bodyLimit` would, but without touching `c.req.raw.body`: that getter turns the Node request
    // into a web stream and costs @hono/node-server its direct body read (a profile showed it at
    // ~15 % of `POST /access`). Chunked bodies go through `bodyLimit`, which counts their bytes.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (parseInt(length || '0', 10) > maxBytes) {
        throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
      }
      return readJson(c, next);
    }
    return limit(c, () => readJson(c, next));
  };
}

/** The JSON body `jsonBody` parsed, per request, so nothing parses it twice. */
const parsedBodies = new WeakMap<Context, unknown>();

/** The body of a request that passed `jsonBody`. */
const parsedBody = (c: Context) => (parsedBodies.has(c) ? parsedBodies.get(c) : c.req.json());

/** @hono/zod-openapi's media-type gate for JSON bodies (415 `Unsupported Media Type` otherwise). */
const JSON_MEDIA_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * A route handler preceded by what @hono/zod-openapi would have run after the route's query,
 * path, header and cookie validators for its required JSON body, with the same answers: its
 * media-type gate (415), then the schema (400 `invalid_input` through the app's default hook),
 * the result kept for `c.req.valid('json')`. (`jsonBody` has already required
 * `application/json`, so Hono's own media-type check in its validator always passes.)
 */
function validatedJson(schema: z.ZodType, handler: Handler): Handler {
  return async (c, next) => {
    if (!JSON_MEDIA_TYPE.test(c.req.header('content-type') ?? '')) {
      throw new HTTPException(415, { message: 'Unsupported Media Type' });
    }
    const value: unknown = await parsedBody(c);
    const result = await schema.safeParseAsync(value);
    if (!result.success) throw invalidInputFrom(result.error, value);
    c.req.addValidatedData('json', result.data as object);
    return handler(c, next);
  };
}

/** Route middleware that refuses bodies above `maxBytes` with 413, whatever their type (webhooks). */
export function rawBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
    },
  });
}

/**
 * Reads a JSON body through a schema, for routes not declared with `createRoute`: the same answers
 * as `jsonBody` followed by the route validator (415, 413, 400 with the failing paths).
 */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  maxBytes = DEFAULT_MAX_JSON_BYTES,
): Promise<z.infer<S>> {
  let value: unknown;
  await jsonBody(maxBytes)(c, async () => {
    value = await parsedBody(c);
  });
  return parseInput(schema, value);
}

/** Parses any outside input (query, params, body) or throws `invalid_input` naming each problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInputFrom(result.error, value);
  return result.data;
}

/**
 * A zod failure as the contract's 400 `invalid_input`: `details` lists `{path, message}` per
 * issue as it always did, `fields` adds each one's machine code (see `./field-errors.ts`).
 * `input` is what was parsed (it tells a missing value from a wrong one).
 */
export function invalidInputFrom(error: z.ZodError, input?: unknown): AppError {
  return validationError(error, input);
}
