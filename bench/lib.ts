import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** One line of the report: a subject measured against a baseline in the same run. */
export interface Row {
  benchmark: string;
  metric: string;
  unit: string;
  subject: number;
  baseline: number;
  /** subject / baseline, oriented so that the target reads "at least" or "at most" as stated. */
  ratio: number;
  target?: string;
  notes?: string;
}

export interface Benchmark {
  name: string;
  run(): Promise<Row[]>;
}

export interface HttpLoad {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Drives one URL with autocannon (loopback only, bounded by duration) and returns its figures. */
export async function load(options: {
  url: string;
  connections?: number;
  durationSec?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<HttpLoad> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 50,
    duration: options.durationSec ?? 5,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** Peak resident memory of a process in bytes (Linux VmHWM), or undefined elsewhere. */
export function peakRss(pid: number = process.pid): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kib ? Number(kib) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export function markdown(rows: Row[]): string {
  const header =
    '| benchmark | metric | subject | baseline | ratio | target | notes |\n|---|---|---:|---:|---:|---|---|';
  const lines = rows.map(
    (row) =>
      `| ${row.benchmark} | ${row.metric} (${row.unit}) | ${round(row.subject)} | ${round(row.baseline)} | ${round(row.ratio, 3)} | ${row.target ?? ''} | ${row.notes ?? ''} |`,
  );
  return [header, ...lines].join('\n');
}
