/**
 * Refreshes the API reference's browser bundle that the standalone server serves at
 * `/api/docs/scalar.js` (see runtime/standalone/api-docs.ts): a paid product's docs page must not
 * depend on a CDN, and `@scalar/hono-api-reference` renders only the HTML shell.
 *
 * The bundle is the single file `dist/browser/standalone.js` of `@scalar/api-reference`, taken from
 * the npm registry with `npm pack` (the package itself is not installed: it needs Node 22 and pulls
 * in Vue and a hundred packages the server never runs) and kept gzip-compressed.
 *
 *   node --import tsx scripts/vendor-scalar.ts [version]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const version = process.argv[2] ?? '1.72.1';
const target = fileURLToPath(new URL('../runtime/standalone/vendor/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'scalar-'));
try {
  const tarball = execFileSync('npm', ['pack', `@scalar/api-reference@${version}`, '--silent'], { cwd: work })
    .toString()
    .trim();
  execFileSync('tar', ['xzf', tarball, 'package/dist/browser/standalone.js', 'package/package.json'], { cwd: work });
  const bundle = readFileSync(join(work, 'package/dist/browser/standalone.js'));
  const manifest = JSON.parse(readFileSync(join(work, 'package/package.json'), 'utf8')) as { license: string };
  writeFileSync(join(target, 'scalar-api-reference.js.gz'), gzipSync(bundle, { level: 9 }));
  writeFileSync(
    join(target, 'scalar-api-reference.json'),
    `${JSON.stringify({ package: '@scalar/api-reference', version, license: manifest.license, file: 'dist/browser/standalone.js', bytes: bundle.length }, null, 2)}\n`,
  );
  console.log(`vendored @scalar/api-reference@${version}: ${bundle.length} bytes`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
