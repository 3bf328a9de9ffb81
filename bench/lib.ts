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
  /** What the subject should achieve, in words, and whether this run achieved it. */
  goal?: string;
  met?: boolean;
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

/**
 * Drives one URL with wrk (Debian's `wrk`: a C client, so large responses measure the server and
 * not the client) when it is installed; undefined otherwise. Loopback only, bounded by duration.
 */
export async function loadWithWrk(options: {
  url: string;
  connections?: number;
  durationSec?: number;
  headers?: Record<string, string>;
}): Promise<(HttpLoad & { bytesPerSec: number }) | undefined> {
  const { execFile } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const wrk = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => existsSync(path));
  if (!wrk) return undefined;
  const args = ['-t2', `-c${options.connections ?? 50}`, `-d${options.durationSec ?? 5}s`, '--latency'];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(options.url);
  const out = await new Promise<string>((resolve, reject) =>
    execFile(wrk, args, { maxBuffer: 1 << 20 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  const ms = (text: string | undefined) => {
    const match = /([\d.]+)(us|ms|s)/.exec(text ?? '');
    if (!match) return NaN;
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
  };
  const bytes = (text: string | undefined) => {
    const match = /([\d.]+)(B|KB|MB|GB)/.exec(text ?? '');
    if (!match) return NaN;
    return Number(match[1]) * ({ B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as Record<string, number>)[match[2]!]!;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: ms(/50%\s+(\S+)/.exec(out)?.[1]),
    p99: ms(/99%\s+(\S+)/.exec(out)?.[1]),
    errors: Number(errors ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
    bytesPerSec: bytes(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1]),
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
      `| ${row.benchmark} | ${row.metric} (${row.unit}) | ${round(row.subject)} | ${round(row.baseline)} | ${round(row.ratio, 3)} | ${row.target ?? row.goal ?? ''}${row.met === undefined ? '' : row.met ? ' (met)' : ' (NOT met)'} | ${row.notes ?? ''} |`,
  );
  return [header, ...lines].join('\n');
}
