import { readFileSync } from 'node:fs';

/** One line of the report: a subject measured against a baseline in the same run. */
export interface Row {
  benchmark: string;
  metric: string;
  unit: string;
  subject: number;
  baseline: number;
  /** subject / baseline, oriented so that the target reads "at least" or "at most" as stated. */
  ratio: number;
  /**
   * What the row should show: `>= 0.5` / `<= 2` / `exactly 1` (the ratio), `subject < 5` (the
   * subject, in the row's unit), or `report` (no goal: a figure to read).
   */
  goal?: string;
  /** The goal's older name (suites not yet moved to `goal`); `judge` reads it as the goal. */
  target?: string;
  /** Whether the goal is met; set by `judge` from a readable goal, or by the suite itself when the goal is in words. */
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
  // Imported here, not at the top: servers that import this file for `peakRss` stay without it.
  const { default: autocannon } = await import('autocannon');
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

export type LoadOptions = Parameters<typeof load>[0];

const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * Drives a subject and its baseline in alternating slices (baseline, subject, baseline, …) and
 * reports each side's median slice. On a shared machine the load moves by the second; measured one
 * after the other, the two sides would see different machines and the ratio would be noise.
 */
export async function loadInterleaved(
  subject: LoadOptions,
  baseline: LoadOptions,
  options: { rounds?: number; sliceSec?: number; connections?: number } = {},
): Promise<{ subject: HttpLoad; baseline: HttpLoad; ratios: number[] }> {
  const rounds = options.rounds ?? 5;
  const durationSec = options.sliceSec ?? 2;
  const connections = options.connections ?? 50;
  const slices: { subject: HttpLoad; baseline: HttpLoad }[] = [];
  for (let round = 0; round < rounds; round++) {
    const b = await load({ ...baseline, durationSec, connections });
    const s = await load({ ...subject, durationSec, connections });
    slices.push({ subject: s, baseline: b });
  }
  const summary = (side: 'subject' | 'baseline'): HttpLoad => ({
    rps: middle(slices.map((slice) => slice[side].rps)),
    p50: middle(slices.map((slice) => slice[side].p50)),
    p99: middle(slices.map((slice) => slice[side].p99)),
    errors: slices.reduce((sum, slice) => sum + slice[side].errors, 0),
  });
  return {
    subject: summary('subject'),
    baseline: summary('baseline'),
    ratios: slices.map((slice) => slice.subject.rps / slice.baseline.rps),
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

/** CPU time (user + system) a process has used so far in milliseconds (Linux /proc), or undefined elsewhere. */
export function cpuTimeMs(pid: number = process.pid): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is the 3rd, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
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

const GOAL = /^(subject\s+)?(>=|<=|<|>|exactly)\s*(-?[\d.]+)/;

/** The row with `met` set from its goal (undefined when the goal is only to report, or unreadable). */
export function judge(input: Row): Row {
  const { target, ...rest } = input;
  const row: Row = { ...rest, goal: rest.goal ?? target ?? 'report' };
  const match = row.goal ? GOAL.exec(row.goal.trim()) : null;
  if (!match) {
    // A goal in words (e.g. the ladder's "25 % fewer bytes at equal SSIM"): the suite judged it.
    if (row.goal !== 'report' && typeof input.met === 'boolean') return row;
    const { met: _met, ...unjudged } = row;
    return unjudged;
  }
  const [, onSubject, operator, text] = match;
  const value = onSubject ? row.subject : row.ratio;
  const limit = Number(text);
  const met =
    operator === '>='
      ? value >= limit
      : operator === '<='
        ? value <= limit
        : operator === '<'
          ? value < limit
          : operator === '>'
            ? value > limit
            : value === limit;
  return { ...row, met: Number.isFinite(value) && met };
}

export function markdown(rows: Row[]): string {
  const header =
    '| benchmark | metric | subject | baseline | ratio | goal | met | notes |\n|---|---|---:|---:|---:|---|---|---|';
  const lines = rows.map(
    (row) =>
      `| ${row.benchmark} | ${row.metric} (${row.unit}) | ${round(row.subject)} | ${round(row.baseline)} | ${round(row.ratio, 3)} | ${row.goal ?? ''} | ${row.met === undefined ? '' : row.met ? 'yes' : 'NO'} | ${row.notes ?? ''} |`,
  );
  return [header, ...lines].join('\n');
}

/** The rows that have a goal, one line each: what was asked, what was measured, met or not. */
export function summary(rows: Row[]): string {
  const judged = rows.filter((row) => row.met !== undefined);
  const header = '| goal | benchmark | metric | measured | met |\n|---|---|---|---:|---|';
  const lines = judged.map((row) => {
    const onSubject = /^subject/.test(row.goal ?? '');
    const measured = onSubject ? `${round(row.subject)} ${row.unit}` : `ratio ${round(row.ratio, 3)}`;
    return `| ${row.goal} | ${row.benchmark} | ${row.metric} | ${measured} | ${row.met ? 'yes' : 'NO'} |`;
  });
  const met = judged.filter((row) => row.met).length;
  return [`Goals met: ${met} of ${judged.length}`, '', header, ...lines].join('\n');
}
