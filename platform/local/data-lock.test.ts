import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDataFolderLocked, lockDataFolder } from './data-lock.js';
import { mkdirDurable } from './durable-fs.js';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-lock-'));
  folders.push(dir);
  return dir;
};

describe('the data folder lock', () => {
  it('lets one holder in at a time, in this process too, and frees the folder on release', () => {
    const dir = folder();
    expect(isDataFolderLocked(dir)).toBe(false);
    const lock = lockDataFolder(dir);
    expect(isDataFolderLocked(dir)).toBe(true);
    expect(() => lockDataFolder(dir)).toThrow(/is in use by another Kinema process/);
    lock.release();
    lock.release(); // twice is harmless
    expect(isDataFolderLocked(dir)).toBe(false);
    lockDataFolder(dir).release();
  });

  it('is dropped by the kernel when its holder is killed with SIGKILL', async () => {
    const dir = folder();
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import Database from 'better-sqlite3';
         const db = new Database(${JSON.stringify(join(dir, 'kinema.lock'))}, { timeout: 0 });
         db.exec('BEGIN EXCLUSIVE');
         process.stdout.write('held\\n');
         setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((done) => holder.stdout.once('data', () => done()));
    expect(isDataFolderLocked(dir)).toBe(true);
    const exited = new Promise((done) => holder.once('exit', done));
    holder.kill('SIGKILL');
    await exited;
    expect(isDataFolderLocked(dir)).toBe(false);
  });
});

describe('mkdirDurable', () => {
  it('makes every missing folder of a path and leaves existing ones be', async () => {
    const dir = folder();
    await mkdirDurable(join(dir, 'a', 'b', 'c'));
    await mkdirDurable(join(dir, 'a', 'b', 'c'));
    await mkdirDurable(join(dir, 'a', 'd'));
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['b', 'd']);
  });
});
