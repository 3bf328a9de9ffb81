import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last lines ffmpeg/ffprobe wrote to stderr: where their reasons are. */
  stderrTail: string;
  stalled: boolean;
}

export interface RunOptions {
  /** Called for each stdout line as it arrives (ffmpeg `-progress pipe:1`). */
  onLine?: (line: string) => void;
  /** Kill the process when it writes nothing for this long: a hung decoder must not hang the job. */
  stallMs?: number;
  /** Keep stdout in the result (ffprobe's JSON); off for ffmpeg's endless progress. */
  keepStdout?: boolean;
  /** Lets the caller stop the process (shutdown). */
  signal?: AbortSignal;
}

const TAIL_LINES = 12;

/** Runs a binary without a shell, collecting what the callers need and nothing more. */
export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
    let stdout = '';
    let partial = '';
    let tail: string[] = [];
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      if (!options.stallMs) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        child.kill('SIGKILL');
      }, options.stallMs);
    };
    touch();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      touch();
      if (options.keepStdout) stdout += chunk;
      if (options.onLine) {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) options.onLine(line.trim());
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      touch();
      tail = [...tail, ...chunk.split('\n').filter((line) => line.trim() !== '')].slice(-TAIL_LINES);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      if ((error as { name?: string }).name === 'AbortError') return; // reported by 'close'
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial && options.onLine) options.onLine(partial.trim());
      resolve({ code, signal, stdout, stderrTail: tail.join('\n'), stalled });
    });
  });
}
