import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot, startKinema } from './harness.js';
import type { Credentials } from './harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `dataDir` is null against an external server (no local CLI there). */
    kinema: { url: string; admin: Credentials; dataDir: string | null };
  }
}

/**
 * One standalone server for the whole browser suite; every file gets its URL and the admin.
 * With KINEMA_E2E_URL (and KINEMA_E2E_ADMIN_EMAIL / KINEMA_E2E_ADMIN_PASSWORD) the suite runs
 * against a server that is already up instead, e.g. a deployed stack.
 */
export default async function setup(project: TestProject) {
  const external = process.env['KINEMA_E2E_URL'];
  if (external) {
    const email = process.env['KINEMA_E2E_ADMIN_EMAIL'];
    const password = process.env['KINEMA_E2E_ADMIN_PASSWORD'];
    if (!email || !password)
      throw new Error('KINEMA_E2E_URL needs KINEMA_E2E_ADMIN_EMAIL and KINEMA_E2E_ADMIN_PASSWORD');
    project.provide('kinema', { url: external.replace(/\/$/, ''), admin: { email, password }, dataDir: null });
    return undefined;
  }
  if (!existsSync(join(repoRoot, 'web', 'build', 'handler.js'))) {
    throw new Error('the web is not built: run `npm run build:web` (npm run test:e2e does it for you)');
  }
  const kinema = await startKinema();
  project.provide('kinema', { url: kinema.url, admin: kinema.admin, dataDir: kinema.dataDir });
  return async () => {
    await kinema.stop();
  };
}
