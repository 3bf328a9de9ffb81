/**
 * Bundles each service's AWS composition root, `runtime/aws/<name>.ts`, into
 * `dist/lambda/<name>/index.mjs` (+ `index.mjs.map`): the folder infra/lambda.ts deploys, whose
 * exports the functions run (`index.handler`, `index.onEvent`, and the media pipeline's tasks),
 * and the layers some functions need under `dist/layers/<layer>/`. It prints each bundle's size
 * and fails when one exceeds 1 MiB.
 *
 * Everything is bundled, the AWS SDK v3 included: the runtime's own SDK drifts with AWS's
 * updates, and the versions pinned in package.json are the ones the tests ran against.
 *
 *   npm run build:lambda            every service
 *   npm run build:lambda -- media   only the named ones
 */
import { build, type Plugin } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const servicesDir = `${root}services`;
const rootsDir = `${root}runtime/aws`;

/** Functions that are no service's: the regional health check (runtime/aws/health.ts). */
const EXTRA_ROOTS = ['health'];
const available = [
  ...readdirSync(servicesDir).filter((name) => existsSync(`${rootsDir}/${name}.ts`)),
  ...EXTRA_ROOTS.filter((name) => existsSync(`${rootsDir}/${name}.ts`)),
];
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`no runtime/aws/<name>.ts for: ${unknown.join(', ')} (have: ${available.join(', ')})`);
  process.exit(1);
}
const services = requested.length > 0 ? requested : available;

/**
 * Binaries some functions run, shipped as Lambda layers rather than inside a bundle: the media
 * probe alone runs ffprobe (a static x86-64 build, 79 MB), so only its x86_64 function carries
 * the layer (infra/media-pipeline.ts), and the other media functions stay small. A layer's `bin/`
 * is /opt/bin at run time; files are world-executable (the Lambda user is not their owner).
 */
const require = createRequire(import.meta.url);
const packaged = (pkg: string, file: string) => join(dirname(require.resolve(`${pkg}/package.json`)), file);
const LAYERS: Record<string, { from: () => string; name: string }[]> = {
  ffprobe: [{ from: () => packaged('@ffprobe-installer/linux-x64', 'ffprobe'), name: 'bin/ffprobe' }],
};
/** Which service's build also refreshes which layer. */
const LAYERS_OF: Record<string, string[]> = { media: ['ffprobe'] };

/** Lambda's code size is no constraint at this size; cold start is. Each bundle stays under 1 MiB. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

/**
 * zod 4's classic API re-exports every message locale (about 40 languages, 258 KiB minified) and
 * esbuild cannot drop the ones nobody names. Kinema's functions answer in English (zod's default,
 * which it configures from `locales/en.js` directly), so the bundle keeps English only.
 */
const zodLocales: Plugin = {
  name: 'zod-locales',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const oversized: string[] = [];

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
    // Licences go beside the bundle (index.mjs.LEGAL.txt, shipped in the zip), not inside it.
    legalComments: 'external',
    plugins: [zodLocales],
    // Text as UTF-8, not \u escapes: Japanese messages stay a third of the size.
    charset: 'utf8',
    logLevel: 'warning',
    // CommonJS dependencies inside an ES module still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __kinemaRequire } from 'node:module'; const require = __kinemaRequire(import.meta.url);",
    },
  });
  for (const layer of LAYERS_OF[service] ?? []) {
    const layerDir = `${root}dist/layers/${layer}`;
    rmSync(layerDir, { recursive: true, force: true });
    for (const binary of LAYERS[layer] ?? []) {
      const target = `${layerDir}/${binary.name}`;
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(binary.from(), target);
      chmodSync(target, 0o755);
      console.log(`layer ${layer}: ${binary.name} ${kib(statSync(target).size)}`);
    }
  }
  const size = statSync(`${outdir}/index.mjs`).size;
  if (size > MAX_BUNDLE_BYTES) oversized.push(`${service} (${kib(size)})`);
  const files = readdirSync(outdir).map((file) => `${file} ${kib(statSync(`${outdir}/${file}`).size)}`);
  console.log(`${service}: ${files.join(', ')} in ${Math.round(performance.now() - started)} ms`);
}
if (oversized.length > 0) {
  console.error(`over ${kib(MAX_BUNDLE_BYTES)}: ${oversized.join(', ')}`);
  process.exit(1);
}
