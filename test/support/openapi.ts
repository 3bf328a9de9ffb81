import { expect } from 'vitest';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PARAMETER_PLACES = ['query', 'header', 'path', 'cookie'];
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The structural rules of OpenAPI 3.1 (spec §4.8) a document must keep for tools to read it:
 * required fields, path templates whose every `{param}` is a required path parameter, operations
 * with responses that each have a description, unique operationIds, and references that resolve.
 * It returns the problems it found, so a failing test names them all.
 */
export function openApi31Problems(document: unknown): string[] {
  const problems: string[] = [];
  const fail = (message: string) => problems.push(message);
  if (!isObject(document)) return ['the document is not an object'];
  if (typeof document.openapi !== 'string' || !/^3\.1\.\d+$/.test(document.openapi)) fail('openapi is not 3.1.x');
  const info = document.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string') {
    fail('info needs a title and a version');
  }
  if (!isObject(document.paths)) fail('paths is missing');
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(isObject(document.paths) ? document.paths : {})) {
    if (!path.startsWith('/')) fail(`${path}: a path starts with /`);
    if (/:\w/.test(path)) fail(`${path}: parameters are written {name}, not :name`);
    if (!isObject(item)) {
      fail(`${path}: not a path item`);
      continue;
    }
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const [method, operation] of Object.entries(item)) {
      const where = `${method} ${path}`;
      if (!METHODS.includes(method)) continue;
      if (!isObject(operation)) {
        fail(`${where}: not an operation`);
        continue;
      }
      if (typeof operation.operationId === 'string') {
        if (operationIds.has(operation.operationId)) fail(`${where}: operationId ${operation.operationId} repeats`);
        operationIds.add(operation.operationId);
      }
      const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
      for (const parameter of parameters) {
        if (
          !isObject(parameter) ||
          typeof parameter.name !== 'string' ||
          !PARAMETER_PLACES.includes(String(parameter.in))
        ) {
          fail(`${where}: a parameter needs a name and an in of ${PARAMETER_PLACES.join('/')}`);
        } else if (parameter.in === 'path' && parameter.required !== true) {
          fail(`${where}: path parameter ${parameter.name} must be required`);
        } else if (parameter.in === 'path' && !templated.includes(parameter.name)) {
          fail(`${where}: path parameter ${parameter.name} is not in the path`);
        }
      }
      for (const name of templated) {
        if (!parameters.some((p) => isObject(p) && p.in === 'path' && p.name === name)) {
          fail(`${where}: {${name}} is not declared as a path parameter`);
        }
      }
      if (
        operation.requestBody !== undefined &&
        !isObject(isObject(operation.requestBody) && operation.requestBody.content)
      ) {
        fail(`${where}: a request body needs content`);
      }
      if (!isObject(operation.responses) || Object.keys(operation.responses).length === 0) {
        fail(`${where}: an operation needs responses`);
        continue;
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) fail(`${where}: ${status} is not a status`);
        if (!isObject(response) || (typeof response.description !== 'string' && typeof response.$ref !== 'string')) {
          fail(`${where} ${status}: a response needs a description`);
        }
      }
    }
  }
  for (const ref of refsIn(document)) {
    if (!ref.startsWith('#/')) continue;
    let target: unknown = document;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
      target = isObject(target) ? target[key] : undefined;
    }
    if (target === undefined) fail(`${ref} does not resolve`);
  }
  return problems;
}

export function expectValidOpenApi31(document: unknown) {
  expect(openApi31Problems(document)).toEqual([]);
}

function* refsIn(value: unknown): Generator<string> {
  if (Array.isArray(value)) for (const item of value) yield* refsIn(item);
  else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') yield inner;
      else yield* refsIn(inner);
    }
  }
}
