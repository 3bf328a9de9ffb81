/**
 * `npm run build:edge`: the SvelteKit site as one Lambda@Edge function (origin-request).
 *
 *   dist/edge/index.mjs   exports `handler` (CloudFront request event in, CloudFront response out)
 *   dist/edge/client/     the static files (`/_app/*` and `static/`) the stack uploads to S3
 *
 * It builds the web the ordinary way (`vite build web`, the same build adapter-node packages for
 * the standalone server), then bundles SvelteKit's server output (`web/.svelte-kit/output/server`,
 * what every adapter is handed) with runtime/aws/web-edge.ts, which turns CloudFront events into
 * `Request`s for SvelteKit's `Server.respond` and back. Lambda@Edge has no environment variables,
 * so the non-secret KINEMA_* variables set now are baked in; secrets never are (they are read from
 * Secrets Manager at cold start), and the stack adds `edge-config.json` beside the code.
 *
 *   npm run build:edge                  build the web, then the function
 *   npm run build:edge -- --no-web      reuse the last web build (tests)
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUBLIC_CONFIG_KEYS, SECRET_KEYS } from '#runtime/aws/web-edge.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = join(root, 'web/.svelte-kit/output');
const outdir = join(root, 'dist/edge');

export interface BuildEdgeOptions {
  /** Run `vite build web` first (default true). */
  web?: boolean;
  /** Where the non-secret KINEMA_* values come from (default: process.env). */
  environment?: Record<string, string | undefined>;
  outdir?: string;
}

/** What the build bakes in: the public configuration names only, never a secret. */
export function bakedConfig(environment: Record<string, string | undefined>): Record<string, string> {
  const baked: Record<string, string> = {};
  for (const key of PUBLIC_CONFIG_KEYS) {
    const value = environment[key];
    if (value) baked[key] = value;
  }
  for (const key of SECRET_KEYS) if (key in baked) throw new Error(`refusing to bake the secret ${key}`);
  return baked;
}

export async function buildEdge(options: BuildEdgeOptions = {}) {
  const target = options.outdir ?? outdir;
  if (options.web ?? true) {
    const vite = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', 'web'], {
      cwd: root,
      stdio: 'inherit',
    });
    if (vite.status !== 0) throw new Error(`vite build web failed (${vite.status})`);
  }
  if (!existsSync(join(output, 'server/index.js'))) {
    throw new Error('no web/.svelte-kit/output/server: run npm run build:edge without --no-web first');
  }
  const baked = bakedConfig(options.environment ?? process.env);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const started = performance.now();
  await build({
    stdin: {
      contents: [
        "import { Server } from './web/.svelte-kit/output/server/index.js';",
        "import { manifest } from './web/.svelte-kit/output/server/manifest.js';",
        "import { createEdgeHandler } from './runtime/aws/web-edge.ts';",
        `export const handler = createEdgeHandler({ server: new Server(manifest), manifest, baked: ${JSON.stringify(baked)}, configFile: new URL('./edge-config.json', import.meta.url) });`,
      ].join('\n'),
      resolveDir: root,
      sourcefile: 'edge-entry.ts',
      loader: 'ts',
    },
    outfile: join(target, 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    sourcemap: 'external',
    legalComments: 'external',
    charset: 'utf8',
    mainFields: ['module', 'main'],
    conditions: ['node', 'import', 'production'],
    logLevel: 'warning',
    // SvelteKit's server output imports devalue for its side effects, which devalue says it has none of.
    logOverride: { 'ignored-bare-import': 'silent' },
    banner: {
      js: "import { createRequire as __kinemaRequire } from 'node:module'; const require = __kinemaRequire(import.meta.url);",
    },
  });
  cpSync(join(output, 'client'), join(target, 'client'), { recursive: true });
  const size = statSync(join(target, 'index.mjs')).size;
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) =>
      statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)],
    );
  const assets = files(join(target, 'client'));
  console.log(
    `edge: index.mjs ${(size / 1024).toFixed(0)} KiB, ${assets.length} static files, baked ${Object.keys(baked).join(', ') || 'nothing'} in ${Math.round(performance.now() - started)} ms`,
  );
  return { outdir: target, size, baked };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildEdge({ web: !process.argv.includes('--no-web') });
}
