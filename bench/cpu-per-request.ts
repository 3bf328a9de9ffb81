/**
 * `node --import tsx bench/cpu-per-request.ts <me|access|playback> [requests] [subject|baseline]`:
 * starts the route's bench server (no profiler), warms it, sends a fixed number of requests at
 * c=50 and prints the server's CPU time (user + system, from /proc, all threads) per request. On a
 * shared machine this moves far less than req/s: it counts what the server spends, not what it is
 * given. Resolution: one clock tick (10 ms) over the whole run.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { stop } from './process.js';
import { HotRoute, startRouteServer } from './route-server.js';

const route = HotRoute.parse(process.argv[2] ?? 'me');
const amount = z.coerce
  .number()
  .int()
  .positive()
  .parse(process.argv[3] ?? '40000');
const kinds = process.argv[4]
  ? [z.enum(['subject', 'baseline']).parse(process.argv[4])]
  : (['subject', 'baseline'] as const);
const TICK_US = 1e6 / 100; // USER_HZ

/** The process's user and system CPU so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
};

const { default: autocannon } = await import('autocannon');
for (const kind of kinds) {
  const { child, target } = await startRouteServer(route, kind);
  await autocannon({ ...target, connections: 10, amount: 5000 });
  const before = cpuTicks(child.pid!);
  const result = await autocannon({ ...target, connections: 50, amount });
  const after = cpuTicks(child.pid!);
  const sys = (after.system - before.system) * TICK_US;
  const spent = (after.user - before.user) * TICK_US + sys;
  await stop(child);
  process.stdout.write(
    `${route} ${kind}: ${(spent / amount).toFixed(1)} µs CPU/request (system ${(sys / amount).toFixed(1)}), ${Math.round(result.requests.average)} req/s, non-2xx ${result.non2xx}, errors ${result.errors}\n`,
  );
}
