import { Hono } from 'hono';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { AppError, invalidInput } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { Principal } from '../ports/token-verifier.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal | undefined;
  };
}

export function errorBody(code: string, message: string, details?: unknown) {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/**
 * A service's Hono app with the one error mapping every app shares: typed errors become their
 * status and JSON body, anything else is logged with the request id and answered 500 `internal`.
 */
export function serviceApp(options: { logger?: Logger } = {}) {
  const logger = options.logger ?? silentLogger;
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set('requestId', c.req.header('x-request-id') ?? crypto.randomUUID());
    await next();
  });
  app.onError((error, c) => {
    if (error instanceof AppError) {
      return c.json(errorBody(error.code, error.message, error.details), error.status);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      const code =
        status === 413
          ? 'payload_too_large'
          : status === 401
            ? 'unauthorized'
            : status < 500
              ? 'invalid_input'
              : 'internal';
      return c.json(errorBody(code, error.message || 'request refused'), status);
    }
    logger.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, err: error });
    return c.json(errorBody('internal', `something went wrong (request ${c.get('requestId')})`), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  return app;
}

/**
 * Reads a JSON body through a schema. Non-JSON content types get 415, malformed JSON and schema
 * failures 400 with the failing paths, bodies above `maxBytes` 413: bad input never reaches a handler.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes = 64 * 1024): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError('unsupported_media_type', 'send the body as application/json');
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
  const text = await c.req.text();
  if (Buffer.byteLength(text) > maxBytes)
    throw new AppError('payload_too_large', `the body may be at most ${maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidInput('the body is not valid JSON');
  }
  return parseInput(schema, value);
}

/** Parses any outside input (query, params, body) or throws `invalid_input` naming each problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
    throw invalidInput(summary, issues);
  }
  return result.data;
}
