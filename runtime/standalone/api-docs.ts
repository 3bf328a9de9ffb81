import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '#shared/errors.js';
import { BEARER, OPENAPI_PATH, serviceApp } from '#shared/http/app.js';
import { mergeDocuments } from '#shared/http/openapi.js';
import type { OpenApiDocument } from '#shared/http/openapi.js';
import type { Logger } from '#shared/log.js';

export interface ApiDocsOptions {
  /** The services mounted at `/api/<name>`; each serves its own document at `/api/<name>/openapi.json`. */
  services: readonly string[];
  /** Answers a request in process (the composed app's `request`), so no socket is involved. */
  request: (path: string) => Response | Promise<Response>;
  logger?: Logger;
}

/** The API reference's browser bundle, vendored (see scripts/vendor-scalar.ts): no CDN at run time. */
const BUNDLE = new URL('./vendor/scalar-api-reference.js.gz', import.meta.url);

/**
 * The API's description for people and tools, mounted at `/api`:
 *   GET /api/openapi.json     every service's OpenAPI 3.1 document merged into one
 *   GET /api/docs             the reference page (Scalar), which reads that document
 *   GET /api/docs/scalar.js   the page's script, served from this repository, never a CDN
 * The page's Content-Security-Policy allows only this origin, so the page cannot call out either.
 */
export function apiDocs(options: ApiDocsOptions) {
  const app = serviceApp({ describe: false, ...(options.logger ? { logger: options.logger } : {}) });
  let merged: Promise<OpenApiDocument> | undefined;
  const document = () => {
    merged ??= collect(options).catch((error: unknown) => {
      merged = undefined;
      throw error;
    });
    return merged;
  };

  app.get('/openapi.json', async (c) => c.json(await document()));

  let bundle: { gzip: Buffer; etag: string } | undefined;
  app.get('/docs/scalar.js', (c) => {
    const gzip = (bundle ??= load()).gzip;
    const headers = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
      etag: bundle.etag,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    };
    if (c.req.header('if-none-match') === bundle.etag) return c.body(null, 304, headers);
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      return c.body(new Uint8Array(gzip), 200, { ...headers, 'content-encoding': 'gzip' });
    }
    return c.body(new Uint8Array(gunzipSync(gzip)), 200, headers);
  });

  let policy: string | undefined;
  let reference: Promise<MiddlewareHandler> | undefined;
  app.get(
    '/docs',
    async (c, next) => {
      await next();
      policy ??= contentSecurityPolicy(await c.res.clone().text());
      c.header('content-security-policy', policy);
      c.header('x-content-type-options', 'nosniff');
    },
    // The reference page's integration is loaded with the first visit, not at start.
    (c, next) => (reference ??= scalarReference()).then((handler) => handler(c, next)),
  );

  return app;
}

async function scalarReference(): Promise<MiddlewareHandler> {
  const { Scalar } = await import('@scalar/hono-api-reference');
  return Scalar({
    url: '/api/openapi.json',
    cdn: '/api/docs/scalar.js',
    pageTitle: 'Kinema API',
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    showDeveloperTools: 'never',
    authentication: { preferredSecurityScheme: BEARER },
    // Known to the vendored bundle (1.72), not yet to the integration's types: no "Generate MCP" link.
    ...({ mcp: { disabled: true } } as object),
  }) as MiddlewareHandler;
}

async function collect(options: ApiDocsOptions): Promise<OpenApiDocument> {
  const services = [];
  for (const name of options.services) {
    const response = await options.request(`/api/${name}${OPENAPI_PATH}`);
    if (!response.ok) throw new AppError('unavailable', `the ${name} service does not describe its API`);
    services.push({ name, document: (await response.json()) as OpenApiDocument });
  }
  return mergeDocuments(services, {
    title: 'Kinema API',
    version: '1',
    description:
      'Every service of Kinema, as each describes itself. Errors are `{"error": {"code", "message"}}`; ' +
      'signed-in routes take `Authorization: Bearer <token>` (standalone: `npx kinema token --email E`).',
  });
}

function load() {
  const gzip = readFileSync(BUNDLE);
  return { gzip, etag: `"${createHash('sha256').update(gzip).digest('base64url').slice(0, 27)}"` };
}

/**
 * Only this origin: the bundle, the document and "try it" calls; the page's one inline script
 * (Scalar's start-up call) by its hash. Scalar injects its styles, hence inline styles.
 */
function contentSecurityPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (match) =>
      `'sha256-${createHash('sha256')
        .update(match[1] ?? '')
        .digest('base64')}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}
