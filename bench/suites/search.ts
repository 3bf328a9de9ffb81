import autocannon from 'autocannon';
import { z } from 'zod';
import type { Benchmark, Row } from '../lib.js';
import { startScript, stop } from '../process.js';

/** autocannon's `requests` option (each connection cycles through them); not in bench/autocannon.d.ts. */
type Options = Parameters<typeof autocannon>[0] & { requests: { path: string }[] };
const drive = (options: Options) => autocannon(options);

const Ready = z.object({
  port: z.number(),
  queries: z.array(z.string()),
  buildMs: z.number(),
  indexBytes: z.number(),
  p50: z.number().optional(),
  p99: z.number().optional(),
  scanP50: z.number().optional(),
  scanP99: z.number().optional(),
  readMs: z.number().optional(),
  rebuildMs: z.number().optional(),
});

/**
 * Search on 10,000 generated Japanese/English videos: index build time and memory, in-process
 * latency of a mixed query set (exact, Japanese, names with and without the space, prefixes,
 * typos, phrases, mixed scripts, full-width) against an Array.filter + includes scan, and the same
 * queries over HTTP at concurrency 20 against a bare Hono route answering a fixed page of hits.
 */
export const searchBench: Benchmark = {
  name: 'search',
  async run() {
    const measure = async (kind: 'subject' | 'baseline') => {
      const { child, firstLine } = await startScript('bench/servers/search-server.ts', [kind]);
      try {
        const ready = Ready.parse(JSON.parse(firstLine));
        const requests = ready.queries.map((q) => ({ path: `/api/catalog/search?q=${encodeURIComponent(q)}` }));
        const url = `http://127.0.0.1:${ready.port}`;
        await drive({ url, requests, connections: 20, duration: 1 });
        const result = await drive({ url, requests, connections: 20, duration: 5 });
        return {
          ready,
          http: {
            rps: result.requests.average,
            p50: result.latency.p50,
            p99: result.latency.p99,
            errors: result.errors + result.non2xx,
          },
        };
      } finally {
        await stop(child);
      }
    };
    const baseline = await measure('baseline');
    const subject = await measure('subject');
    const s = subject.ready;
    const row = (metric: string, unit: string, value: number, base: number, extra: Partial<Row> = {}): Row => ({
      benchmark: this.name,
      metric,
      unit,
      subject: Math.round(value * 1000) / 1000,
      baseline: Math.round(base * 1000) / 1000,
      ratio: Math.round((value / Math.max(base, 1e-9)) * 1000) / 1000,
      ...extra,
    });
    return [
      row('index build, 10k videos', 'ms', s.buildMs, s.buildMs, {
        notes: 'MiniSearch + Intl.Segmenter; no baseline index (ratio 1)',
      }),
      row('index heap, 10k videos', 'MiB', s.indexBytes / 2 ** 20, s.indexBytes / 2 ** 20, {
        notes: 'heapUsed after gc, minus the records',
      }),
      row('index rebuild at start from the SQLite catalog, 10k', 'ms', s.rebuildMs ?? NaN, s.readMs ?? NaN, {
        notes: 'localSearch (what npm start does); baseline only reads the published videos',
      }),
      row('in-process query p50', 'ms', s.p50 ?? NaN, s.scanP50 ?? NaN, {
        notes: '200 mixed queries x5; baseline Array.filter+includes (no folding, no ranking)',
      }),
      row('in-process query p99', 'ms', s.p99 ?? NaN, s.scanP99 ?? NaN, { goal: 'subject < 5 ms' }),
      row('HTTP search throughput', 'req/s', subject.http.rps, baseline.http.rps, {
        notes: `c=20, 5 s; errors ${subject.http.errors}/${baseline.http.errors}; baseline bare Hono fixed page`,
      }),
      row('HTTP search p50', 'ms', subject.http.p50, baseline.http.p50),
      row('HTTP search p99', 'ms', subject.http.p99, baseline.http.p99),
    ];
  },
};
