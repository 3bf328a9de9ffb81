import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const screenshotDir = join(repoRoot, 'test', 'e2e', 'screenshots');

export const VIEWPORTS = {
  phone: { width: 375, height: 812 },
  tablet: { width: 768, height: 1024 },
  desktop: { width: 1280, height: 800 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

export interface Credentials {
  email: string;
  password: string;
}

export interface Kinema {
  url: string;
  /** The account made with `kinema users add --role admin`. */
  admin: Credentials;
  /** The server's data folder: the `kinema` CLI (e.g. `kinema token`) works on it while the server runs. */
  dataDir: string;
  /** What the server printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** A free port on loopback: listen on 0, read it, close, hand the number on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function capture(child: ChildProcess, limit = 64 * 1024): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited ${code}:\n${output()}`);
  return output();
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the server exited (${child.exitCode}) before it was up:\n${output()}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`GET /healthz did not answer 200 within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts the standalone server (`runtime/standalone/main.ts`) on a fresh data folder and a free port,
 * waits until it is healthy, and makes an admin with the CLI. `stop()` sends SIGTERM, waits, and
 * removes the data folder.
 */
/** The data folder of each server this process started, by URL (tests read its outbox). */
export const dataDirs = new Map<string, string>();

export async function startKinema(): Promise<Kinema> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kinema-e2e-'));
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    KINEMA_DATA: dataDir,
    KINEMA_PUBLIC_URL: url,
    KINEMA_LOG_LEVEL: process.env['KINEMA_LOG_LEVEL'] ?? 'warn',
    // POST /api/_dev/clock (admin only): rental windows and reminders are tested in seconds.
    KINEMA_DEV_CLOCK: '1',
    // Every browser in the suite signs up from 127.0.0.1; the allowance of 10 an hour per address
    // is tested on its own (platform/local/identity/throttle.test.ts).
    KINEMA_SIGNUPS_PER_HOUR: '1000',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/standalone/main.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  let stopping = false;
  // A crash mid-suite would otherwise show up only as "connection refused" in some later test.
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`the kinema server exited unexpectedly (${code ?? signal}):\n${output()}`);
  });
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    dataDirs.delete(url);
  };
  try {
    await waitForHealth(url, child, output, 60_000);
    const admin = { email: `admin-${randomUUID().slice(0, 8)}@example.com`, password: 'admin-pass-123' };
    await run(
      [
        'runtime/standalone/bin/kinema.js',
        'users',
        'add',
        '--email',
        admin.email,
        '--password',
        admin.password,
        '--role',
        'admin',
      ],
      env,
    );
    dataDirs.set(url, dataDir);
    return { url, admin, dataDir, output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Debian's Chromium, headless, with everything that would reach the network turned off. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['KINEMA_E2E_CHROMIUM'] ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

export async function newPage(
  browser: Browser,
  viewport: ViewportName,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORTS[viewport], locale: 'ja-JP' });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return { context, page: await pageIn(context) };
}

/**
 * A new page in `context` whose `goto` and `reload` end once the page is live.
 */
export async function pageIn(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  // `goto` and `reload` end at the load event, before SvelteKit hydrates: a field filled then is
  // set back to the server's value (an empty title, a form refused). They end once it is live.
  const goto = page.goto.bind(page);
  const reload = page.reload.bind(page);
  page.goto = async (...args) => hydrated(page, await goto(...args));
  page.reload = async (...args) => hydrated(page, await reload(...args));
  return page;
}

/** Waits until a SvelteKit page's root layout has mounted; other pages (the OpenID provider's) at once. */
async function hydrated<T>(page: Page, response: T): Promise<T> {
  await page.waitForFunction(
    () =>
      document.documentElement.dataset['hydrated'] === 'true' ||
      !Object.keys(globalThis).some((key) => key.startsWith('__sveltekit_')),
  );
  return response;
}

export function newPerson(prefix = 'viewer'): Credentials {
  return { email: `${prefix}-${randomUUID().slice(0, 8)}@example.com`, password: 'viewer-pass-123' };
}

/** Full-page screenshot under test/e2e/screenshots/, named by scenario and width. */
export async function screenshot(page: Page, scenario: string, viewport: ViewportName): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${scenario}-${viewport}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** True when nothing on the page is wider than the viewport (no sideways scrolling on a phone). */
export async function fitsViewport(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}
