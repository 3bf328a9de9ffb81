import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { repoRoot } from './process.js';

/** The hot API routes the profiling tools drive. */
export const HotRoute = z.enum(['me', 'access', 'playback']);
export type HotRoute = z.infer<typeof HotRoute>;

const Ready = z.object({
  port: z.number(),
  token: z.string(),
  videoIds: z.array(z.string()).optional(),
  rented: z.string().optional(),
});

export interface RouteTarget {
  url: string;
  method?: 'POST';
  headers: Record<string, string>;
  body?: string;
}

/**
 * Starts the bench server behind `route` (subject or baseline; `nodeArgs` such as `--cpu-prof`)
 * and answers with the child and the request to drive: the same server and request the
 * `signed-in` and `entitlement` suites measure.
 */
export async function startRouteServer(
  route: HotRoute,
  kind: 'subject' | 'baseline',
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; target: RouteTarget }> {
  const script = route === 'me' ? 'bench/servers/api-server.ts' : 'bench/servers/entitlement-server.ts';
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, kind], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const ready = Ready.parse(JSON.parse(line));
  const base = `http://127.0.0.1:${ready.port}/api/entitlement`;
  const headers = { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' };
  const target: RouteTarget =
    route === 'me'
      ? { url: `${base}/me`, headers }
      : route === 'access'
        ? { url: `${base}/access`, method: 'POST', headers, body: JSON.stringify({ videoIds: ready.videoIds }) }
        : { url: `${base}/playback/${ready.rented}`, method: 'POST', headers };
  return { child, target };
}
