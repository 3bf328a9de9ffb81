import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, relative, sep, join } from 'node:path';

/*
 * The file system half of "durable before acknowledged". Flushing a file's bytes (fsync) is not
 * enough: a new name (create, rename, link) lives in its folder, and that folder must be flushed
 * too, or a power cut can bring back the old name or none. SQLite does this for its own files;
 * everything else Kinema writes goes through these helpers.
 */

/** Flushes a folder's entries (names created, renamed or removed in it) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface DirFlushes {
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}
const dirFlushes = new Map<string, DirFlushes>();

/**
 * `fsyncDir` shared by concurrent callers (group commit): it resolves only after a flush of `dir`
 * that STARTED after this call, so every name the caller created before calling is durable. While
 * one flush runs, every caller that arrives joins the single next one instead of queueing its own:
 * four parts renamed into one folder at once cost two folder flushes, not four in a row.
 */
export function fsyncDirShared(dir: string): Promise<void> {
  let state = dirFlushes.get(dir);
  if (!state) dirFlushes.set(dir, (state = { running: undefined, queued: undefined }));
  if (state.queued) return state.queued;
  if (!state.running) return startDirFlush(dir, state);
  const flushes = state;
  const queued = flushes.running!.then(noop, noop).then(() => {
    flushes.queued = undefined;
    return startDirFlush(dir, flushes);
  });
  flushes.queued = queued;
  return queued;
}

const noop = () => undefined;

function startDirFlush(dir: string, state: DirFlushes): Promise<void> {
  const run: Promise<void> = fsyncDir(dir).finally(() => {
    if (state.running !== run) return;
    state.running = undefined;
    if (!state.queued) dirFlushes.delete(dir);
  });
  state.running = run;
  return run;
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The folders `mkdir -p` made, from the outermost, given what it returned and the target. */
function created(first: string | undefined, target: string): string[] {
  if (first === undefined) return [];
  const chain = [first];
  const rest = relative(first, target);
  if (rest) for (const segment of rest.split(sep)) chain.push(join(chain.at(-1)!, segment));
  return chain;
}

/** `mkdir -p` whose new folders survive a power cut (each new name flushed in its parent). */
export async function mkdirDurable(dir: string): Promise<void> {
  const chain = created(await mkdir(dir, { recursive: true }), dir);
  if (chain.length === 0) return;
  await fsyncDir(dirname(chain[0]!));
  for (const folder of chain.slice(0, -1)) await fsyncDir(folder);
}

export function mkdirDurableSync(dir: string, mode?: number): void {
  const chain = created(mkdirSync(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) }), dir);
  if (chain.length === 0) return;
  fsyncDirSync(dirname(chain[0]!));
  for (const folder of chain.slice(0, -1)) fsyncDirSync(folder);
}

const temporaryBeside = (file: string) => `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

/** Replaces `file` atomically and durably: flushed temporary file, rename, folder flushed. */
export function replaceFileSync(file: string, content: string, options: { mode?: number } = {}): void {
  const temporary = temporaryBeside(file);
  try {
    writeFileSync(temporary, content, { flag: 'wx', flush: true, ...(options.mode ? { mode: options.mode } : {}) });
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
  fsyncDirSync(dirname(file));
}

/**
 * Writes `file` only if none exists, atomically and durably: the content goes to a flushed private
 * temporary file that is hard-linked into place. When two processes start together on a fresh data
 * folder, one wins and both read the winner's content. Returns whether this call created it.
 */
export function createFileOnceSync(file: string, content: string, mode = 0o600): boolean {
  const temporary = temporaryBeside(file);
  writeFileSync(temporary, content, { mode, flag: 'wx', flush: true });
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    rmSync(temporary, { force: true });
    fsyncDirSync(dirname(file));
  }
}
