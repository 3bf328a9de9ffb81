/**
 * Bundles each service's AWS composition root, `runtime/aws/<name>.ts`, into
 * `dist/lambda/<name>/index.mjs` (+ `index.mjs.map`): the folder infra/lambda.ts deploys, whose
 * exports the functions run (`index.handler`, `index.onEvent`, and the media pipeline's tasks).
 *
 * Everything is bundled, the AWS SDK v3 included: the runtime's own SDK drifts with AWS's
 * updates, and the versions pinned in package.json are the ones the tests ran against.
 *
 *   npm run build:lambda            every service
 *   npm run build:lambda -- media   only the named ones
 */
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const servicesDir = `${root}services`;
const rootsDir = `${root}runtime/aws`;

const available = readdirSync(servicesDir).filter((name) => existsSync(`${rootsDir}/${name}.ts`));
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`no runtime/aws/<name>.ts for: ${unknown.join(', ')} (have: ${available.join(', ')})`);
  process.exit(1);
}
const services = requested.length > 0 ? requested : available;

/**
 * Binaries a bundle runs besides its JavaScript, copied next to index.mjs (world-executable: the
 * Lambda user is not the file's owner). The media probe runs ffprobe, a static x86-64 build, so
 * its function is x86_64 (infra/media-pipeline.ts).
 */
const require = createRequire(import.meta.url);
const packaged = (pkg: string, file: string) => join(dirname(require.resolve(`${pkg}/package.json`)), file);
const BINARIES: Record<string, { from: () => string; name: string }[]> = {
  media: [{ from: () => packaged('@ffprobe-installer/linux-x64', 'ffprobe'), name: 'ffprobe' }],
};

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

for (const service of services) {
  const outdir = `${root}dist/lambda/${service}`;
  // A stale file left in the folder would be deployed with the new bundle.
  rmSync(outdir, { recursive: true, force: true });
  const started = performance.now();
  await build({
    entryPoints: [`${rootsDir}/${service}.ts`],
    outfile: `${outdir}/index.mjs`,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    sourcemap: true,
    // Nothing is left for the runtime to provide: the bundle is the whole function.
    external: [],
    mainFields: ['module', 'main'],
    conditions: ['node', 'import'],
    legalComments: 'eof',
    logLevel: 'warning',
    // CommonJS dependencies inside an ES module still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __kinemaRequire } from 'node:module'; const require = __kinemaRequire(import.meta.url);",
    },
  });
  for (const binary of BINARIES[service] ?? []) {
    const target = `${outdir}/${binary.name}`;
    copyFileSync(binary.from(), target);
    chmodSync(target, 0o755);
  }
  const files = readdirSync(outdir).map((file) => `${file} ${kib(statSync(`${outdir}/${file}`).size)}`);
  console.log(`${service}: ${files.join(', ')} in ${Math.round(performance.now() - started)} ms`);
}
