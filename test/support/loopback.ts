import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

/**
 * Serves `fetch` (a Hono app's) on 127.0.0.1 through @hono/node-server, as the standalone server
 * does: for tests that need the real Node request and response (raw headers, chunked bodies).
 */
export async function serveOnLoopback(
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<{ port: number; close: () => Promise<void> }> {
  let server: ReturnType<typeof serve> | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port));
  });
  return { port, close: () => new Promise<void>((resolve) => server?.close(() => resolve())) };
}
