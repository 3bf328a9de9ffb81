import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Loads the SvelteKit build (`npm run build:web`). Its server code reads its configuration from
 * process.env, so the composition root sets it here, once, before the import. Without a build,
 * pages answer 503 saying how to make one; the API still works.
 */
export async function loadWeb(env: Record<string, string>): Promise<NodeHandler> {
  const handlerFile = join(repoRoot, 'web', 'build', 'handler.js');
  if (!existsSync(handlerFile)) {
    return (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'unavailable', message: 'the web is not built: run npm run build:web' } }),
      );
    };
  }
  Object.assign(process.env, env);
  const module = (await import(pathToFileURL(handlerFile).href)) as { handler: NodeHandler };
  return (req, res) =>
    module.handler(req, res, () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: `no page at ${req.url}` } }));
    });
}
