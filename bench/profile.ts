/**
 * `node --import tsx bench/profile.ts <me|access|playback> [seconds] [subject|baseline]`: starts the matching bench
 * server under `node --cpu-prof`, drives the route with autocannon (c=50), stops the server and
 * prints the profile's top frames by self time (% of the sampled time, idle excluded). The
 * `.cpuprofile` stays in a temp folder for Chrome DevTools / speedscope.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { load } from './lib.js';
import { repoRoot, stop } from './process.js';
import { HotRoute, startRouteServer } from './route-server.js';

const route = HotRoute.parse(process.argv[2] ?? 'me');
const seconds = z.coerce
  .number()
  .int()
  .positive()
  .parse(process.argv[3] ?? '5');
const kind = z.enum(['subject', 'baseline']).parse(process.argv[4] ?? 'subject');

const dir = mkdtempSync(join(tmpdir(), 'kinema-profile-'));
const { child, target } = await startRouteServer(route, kind, ['--cpu-prof', '--cpu-prof-dir', dir]);
const result = await load({ ...target, durationSec: seconds, connections: 50 });
await stop(child);

const Profile = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
});
const file = readdirSync(dir)
  .filter((name) => name.endsWith('.cpuprofile'))
  .map((name) => join(dir, name))
  .sort((a, b) => statSync(b).size - statSync(a).size)[0]; // the main thread's (tsx adds a worker)
if (!file) throw new Error(`no profile written in ${dir}`);
const profile = Profile.parse(JSON.parse(readFileSync(file, 'utf8')));
const nodeOf = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const onStack = (id: number, functionName: string) => {
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    if (nodeOf.get(at)?.callFrame.functionName === functionName) return true;
  }
  return false;
};
// Start-up (key generation, module loading, seeding) is not the route's cost: count from the first
// sample that is serving a request.
const first = profile.samples.findIndex((id) => onStack(id, 'parserOnIncoming'));
const self = new Map<string, number>();
let busy = 0;
for (const id of profile.samples.slice(Math.max(first, 0))) {
  const frame = nodeOf.get(id)?.callFrame;
  if (!frame || frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
  const where = frame.url.replace(/^.*\/(node_modules\/)/, '$1').replace(`file://${repoRoot}`, '');
  const name = `${frame.functionName || '(anonymous)'} ${where}`;
  self.set(name, (self.get(name) ?? 0) + 1);
  busy++;
}
process.stdout.write(
  `${route} ${kind}: ${Math.round(result.rps)} req/s, errors ${result.errors}; ${busy} busy samples; ${file}\n`,
);
for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  process.stdout.write(`${((100 * count) / busy).toFixed(1).padStart(5)}%  ${name}\n`);
}
