import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { errorStatus } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { BEARER } from './app.js';
import { FieldError } from './field-errors.js';

/** An OpenAPI 3.1 document as `@hono/zod-openapi` produces it. */
export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** The one error body every route answers with (see `errorBody` in `./app.ts`). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.unknown().optional(),
      fields: z
        .array(FieldError)
        .optional()
        .describe('`invalid_input` from a schema: each field that failed, with a machine code to translate'),
    }),
  })
  .meta({ id: 'Error', description: 'Every error: a machine code, a sentence for people, sometimes details.' });

const errorMeaning: Partial<Record<ErrorCode, string>> = {
  invalid_input: 'the input failed its schema (`fields` names each field with a code), or the body is not JSON',
  unauthorized: 'no valid bearer token',
  payment_required: 'not entitled: buy the title or the monthly plan',
  forbidden: 'signed in without the role this needs',
  not_found: 'no such resource (or not visible to you)',
  conflict: 'the resource is not in a state that allows this',
  payload_too_large: 'the body is larger than the limit',
  unsupported_media_type: 'the body must be application/json',
  unavailable: 'this part is not configured or not running on this server',
};

/** The error responses of a route, by code, each with the contract's body. */
export function errors(...codes: ErrorCode[]) {
  const responses: Record<
    number,
    { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }
  > = {};
  for (const code of codes) {
    const status = errorStatus[code];
    const meaning = errorMeaning[code] ?? code;
    const description = responses[status] ? `${responses[status].description}; ${meaning}` : meaning;
    responses[status] = { description, content: { 'application/json': { schema: ErrorBody } } };
  }
  return responses;
}

/** The error responses of any route that takes a JSON body. */
export const JSON_BODY_ERRORS: ErrorCode[] = ['invalid_input', 'payload_too_large', 'unsupported_media_type'];

/** A required JSON request body parsed by `schema`. */
export function jsonRequest<S extends z.ZodType>(schema: S, description?: string) {
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema } },
  };
}

/** A route that reads the bearer token (anonymous callers may still be allowed). */
export const bearer = [{ [BEARER]: [] }];

/** A success response described in words (the body's shape is the handler's). */
export const ok = (description: string) => ({ description });

export interface ServiceDocument {
  /** The service's name: its paths are mounted under `/api/<name>` and tagged with it. */
  name: string;
  document: OpenApiDocument;
}

const COMPONENT_REF = /^#\/components\/([^/]+)\/(.+)$/;

/**
 * One OpenAPI 3.1 document from the services' own: each service's paths under `/api/<name>`,
 * its operations tagged with its name (unless they carry tags) and given an operationId, and its
 * components merged. A component two services declare identically is kept once; one that differs
 * is renamed `<name>.<Component>` in that service and its references are rewritten, so no service
 * can silently change another's schema.
 */
export function mergeDocuments(
  services: ServiceDocument[],
  info: { title: string; version: string; description?: string },
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, Record<string, unknown>> = {};
  const tags: { name: string; description?: string }[] = [];
  for (const { name, document } of services) {
    const renames = new Map<string, string>();
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      const merged = (components[section] ??= {});
      for (const [key, value] of Object.entries((entries ?? {}) as Record<string, unknown>)) {
        if (!(key in merged) || sameJson(merged[key], value)) continue;
        renames.set(`#/components/${section}/${key}`, `#/components/${section}/${name}.${key}`);
      }
    }
    const rewrite = <T>(value: T): T => rewriteRefs(value, renames);
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      const merged = (components[section] ??= {});
      for (const [key, value] of Object.entries((entries ?? {}) as Record<string, unknown>)) {
        const target = renames.get(`#/components/${section}/${key}`)?.match(COMPONENT_REF)?.[2] ?? key;
        merged[target] = rewrite(value);
      }
    }
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const full = `/api/${name}${path === '/' ? '' : path}`;
      if (paths[full]) throw new Error(`two services describe ${full}`);
      const operations: Record<string, unknown> = {};
      for (const [method, operation] of Object.entries(rewrite(item) as Record<string, unknown>)) {
        operations[method] = isOperation(method, operation)
          ? {
              ...operation,
              tags: operation.tags?.length ? operation.tags : [name],
              operationId: operation.operationId ?? operationId(name, method, path),
            }
          : operation;
      }
      paths[full] = operations;
    }
    tags.push({ name, ...(document.info.description ? { description: document.info.description } : {}) });
  }
  return {
    openapi: '3.1.0',
    info,
    tags,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components,
  } as OpenApiDocument;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function isOperation(
  method: string,
  value: unknown,
): value is { tags?: string[]; operationId?: string } & Record<string, unknown> {
  return METHODS.has(method) && typeof value === 'object' && value !== null;
}

/** `post /videos/{id}/publish` in catalog → `catalog.postVideosIdPublish`. */
function operationId(service: string, method: string, path: string): string {
  const words = path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1));
  return `${service}.${method}${words.join('')}`;
}

function rewriteRefs<T>(value: T, renames: Map<string, string>): T {
  if (renames.size === 0) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => rewriteRefs(item, renames)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof inner === 'string' ? (renames.get(inner) ?? inner) : rewriteRefs(inner, renames);
  }
  return out as T;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
