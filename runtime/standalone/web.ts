import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '#shared/log.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

export interface Web {
  /** Serves a page; the first call imports the build (concurrent first calls share the import). */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function sendJson(res: ServerResponse, status: number, code: string, message: string) {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * The SvelteKit build (`npm run build:web`) as a request handler. The build (~24 MiB once loaded)
 * is imported on the first page request, not at start: `/healthz`, the API, the issuer and the
 * media edge do not need it. It is not preloaded on a timer either: a background import would
 * land in the middle of whatever the server does then (the benches measure exactly that).
 *
 * Its server code reads its configuration from process.env, so the composition root sets it here,
 * once, before any import. Without a build, pages answer 503 saying how to make one; the API
 * still works.
 */
export function loadWeb(
  env: Record<string, string>,
  logger: Logger,
  handlerFile = join(repoRoot, 'web', 'build', 'handler.js'),
): Web {
  if (!existsSync(handlerFile)) {
    return {
      handler: (_req, res) => sendJson(res, 503, 'unavailable', 'the web is not built: run npm run build:web'),
    };
  }
  Object.assign(process.env, env);
  let loading: Promise<NodeHandler> | undefined;
  const load = () =>
    (loading ??= import(pathToFileURL(handlerFile).href).then(
      (module: { handler: NodeHandler }) => module.handler,
      (error: unknown) => {
        loading = undefined; // the next page request tries again
        throw error;
      },
    ));
  return {
    handler(req, res) {
      load().then(
        (handler) => handler(req, res, () => sendJson(res, 404, 'not_found', `no page at ${req.url}`)),
        (error: unknown) => {
          logger.error('the web build could not be loaded', { err: error });
          sendJson(res, 500, 'internal', 'the web could not be loaded');
        },
      );
    },
  };
}
