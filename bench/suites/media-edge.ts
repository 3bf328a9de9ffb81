import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { z } from 'zod';
import type { Benchmark, Row } from '../lib.js';
import { startScript, stop } from '../process.js';

const Ready = z.object({ port: z.number(), path: z.string(), cookie: z.string() });
const CONNECTIONS = 50;
const ROUNDS = 5;
const SLICE_MS = 2000;

interface Slice {
  rps: number;
  /** The server's CPU (user + system) per request, ms: what the noise of a shared machine moves least. */
  cpuMs: number;
  p99: number;
  errors: number;
  bytes: number;
}

/**
 * `CONNECTIONS` keep-alive connections, each GETting `url` again as soon as the last body is
 * drained, for `ms`. node:http's C parser and `resume()` keep the client's share of the two cores
 * small (autocannon, which parses bodies in JavaScript, managed a few requests a second on 4 MiB
 * segments, measuring itself); wrk is not on every machine.
 */
async function drive(url: string, headers: Record<string, string>, ms: number, pid: number): Promise<Slice> {
  const cpuBefore = cpuTicks(pid);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  const until = performance.now() + ms;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = get(url, { agent, headers }, (res) => {
        if (res.statusCode !== 200) errors++;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
        res.on('error', () => (errors++, resolve()));
      });
      req.on('error', () => (errors++, resolve()));
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  const elapsed = performance.now() - started;
  const cpu = ((cpuTicks(pid) - cpuBefore) * 1000) / TICKS_PER_SECOND;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: (latencies.length * 1000) / elapsed,
    cpuMs: cpu / latencies.length,
    p99: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? NaN),
    errors,
    bytes,
  };
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;
/** utime + stime of a process from /proc (the field after the command's closing parenthesis). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * The standalone media edge (signed cookies checked on every request, the segment streamed from
 * the local file store, mounted as the standalone server mounts it) against a bare node:http
 * server piping `createReadStream` of the same file: one 6 s 1080p segment's size, 50
 * connections, alternating 2 s slices (median of 5 each) so both sides see the same machine. No
 * transcode: the segment is random bytes (`media pipeline and edge` runs the whole path).
 */
export const mediaEdgeBench: Benchmark = {
  name: 'media edge',
  async run(): Promise<Row[]> {
    const edge = await startScript('bench/servers/edge-server.ts', ['edge']);
    const bare = await startScript('bench/servers/edge-server.ts', ['bare']);
    try {
      const subject = Ready.parse(JSON.parse(edge.firstLine));
      const baseline = Ready.parse(JSON.parse(bare.firstLine));
      const subjectUrl = `http://127.0.0.1:${subject.port}${subject.path}`;
      const baselineUrl = `http://127.0.0.1:${baseline.port}${baseline.path}`;
      const cookie = { cookie: subject.cookie };
      const check = await fetch(subjectUrl, { headers: cookie });
      if (check.status !== 200) throw new Error(`the edge answered ${check.status}`);
      const size = (await check.arrayBuffer()).byteLength;
      const slices: { subject: Slice; baseline: Slice }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const b = await drive(baselineUrl, {}, SLICE_MS, bare.child.pid!);
        const s = await drive(subjectUrl, cookie, SLICE_MS, edge.child.pid!);
        slices.push({ subject: s, baseline: b });
      }
      const side = (name: 'subject' | 'baseline') => ({
        rps: median(slices.map((slice) => slice[name].rps)),
        cpuMs: median(slices.map((slice) => slice[name].cpuMs)),
        p99: median(slices.map((slice) => slice[name].p99)),
        errors: slices.reduce((sum, slice) => sum + slice[name].errors, 0),
      });
      const s = side('subject');
      const b = side('baseline');
      const mib = (rps: number) => Math.round((rps * size) / 1024 ** 2);
      return [
        {
          benchmark: this.name,
          metric: `segment requests (${Math.round(size / 1024)} KiB), edge vs bare createReadStream`,
          unit: 'req/s',
          subject: s.rps,
          baseline: b.rps,
          ratio: s.rps / b.rps,
          goal: '>= 0.9',
          notes:
            `${mib(s.rps)} vs ${mib(b.rps)} MiB/s; server CPU per request ${s.cpuMs.toFixed(2)} vs ${b.cpuMs.toFixed(2)} ms; p99 ${s.p99} vs ${b.p99} ms; errors ${s.errors}/${b.errors}; ` +
            `slice ratios ${slices.map((slice) => (slice.subject.rps / slice.baseline.rps).toFixed(2)).join(' ')}`,
        },
      ];
    } finally {
      await stop(edge.child);
      await stop(bare.child);
    }
  },
};
