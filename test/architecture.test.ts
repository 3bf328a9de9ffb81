import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of docs/architecture.md, checked on every source file. Layers, innermost first:
 *
 * - `shared/` (the kernel) imports nothing of ours and no cloud SDK;
 * - `protocol/` (wire formats both runtimes share byte for byte) imports the kernel;
 * - `services/<name>/` import the kernel and themselves, never a cloud SDK, an adapter or a runtime;
 * - `platform/aws/`, `platform/local/` (adapters) import the kernel and `protocol/`;
 * - `runtime/aws/`, `runtime/standalone/` (the composition roots) import anything but each other;
 * - `web/` imports the kernel; `workflows/` the kernel; `infra/` the kernel, `workflows/` and each
 *   service's subscription list (the rules it builds).
 *
 * Tests may also import the test support and the local adapters they run on.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLOUD_SDKS = /^(@aws-sdk\/|@smithy\/|@pulumi\/|algoliasearch|stripe|nodemailer|@auth0\/)/;

interface Place {
  layer: string;
  service?: string;
  path: string;
}

function place(path: string): Place {
  const clean = path.replace(/\.(js|ts)$/, '');
  const [top = '', second, third, fourth] = clean.split('/');
  if (top === 'services') return { layer: 'services', service: second, path: [third, fourth].join('/') };
  if (top === 'platform' || top === 'runtime') return { layer: `${top}/${second}`, path: clean };
  return { layer: top, path: clean };
}

/** Resolves an import to a repository path: `#area/…` subpath imports and relative ones. */
function target(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('#')) return specifier.slice(1);
  if (specifier.startsWith('.')) return posix.normalize(posix.join(posix.dirname(file), specifier));
  return undefined;
}

const RULES: Record<string, (to: Place, from: Place) => boolean> = {
  shared: (to) => to.layer === 'shared',
  protocol: (to) => ['shared', 'protocol'].includes(to.layer),
  services: (to, from) => to.layer === 'shared' || (to.layer === 'services' && to.service === from.service),
  'platform/aws': (to) => ['shared', 'protocol', 'platform/aws'].includes(to.layer),
  'platform/local': (to) => ['shared', 'protocol', 'platform/local'].includes(to.layer),
  'runtime/aws': (to) =>
    ['shared', 'protocol', 'services', 'platform/aws', 'runtime/aws', 'workflows'].includes(to.layer),
  'runtime/standalone': (to) =>
    ['shared', 'protocol', 'services', 'platform/local', 'runtime/standalone', 'workflows'].includes(to.layer),
  web: (to) => ['shared', 'web'].includes(to.layer),
  workflows: (to) => ['shared', 'workflows'].includes(to.layer),
  infra: (to) =>
    ['shared', 'infra', 'workflows'].includes(to.layer) || (to.layer === 'services' && to.path === 'src/subscribers'),
};

export function violation(file: string, specifier: string): string | undefined {
  const from = place(file);
  const isTest = /\.(test|checks)\.ts$/.test(file) || file.split('/').includes('test');
  const resolved = target(file, specifier);
  if (resolved === undefined) {
    const sdkFree = ['shared', 'services', 'web', 'workflows'];
    if (CLOUD_SDKS.test(specifier) && sdkFree.includes(from.layer) && !isTest) {
      return `${from.layer} may not import the cloud SDK ${specifier}; an adapter in platform/aws wraps it`;
    }
    return undefined;
  }
  const to = place(resolved);
  if (isTest && ['test', 'protocol', 'platform/local'].includes(to.layer)) return undefined;
  const rule = RULES[from.layer];
  if (rule && !rule(to, from)) {
    const name = (p: Place) => `${p.layer}${p.service ? `/${p.service}` : ''}`;
    return `${name(from)} may not import ${name(to)}`;
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['node_modules', 'build', '.svelte-kit', 'screenshots', 'paraglide'].includes(entry.name)
        ? []
        : sourceFiles(path);
    }
    return /\.(ts|js|svelte)$/.test(entry.name) ? [path] : [];
  });
}

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

describe('import rules (docs/architecture.md)', () => {
  it('the checker itself catches a violation of each kind', () => {
    expect(violation('shared/ports/x.ts', '#services/catalog/src/http.js')).toMatch(/shared may not import/);
    expect(violation('shared/ports/x.ts', '@aws-sdk/client-s3')).toMatch(/cloud SDK/);
    expect(violation('services/catalog/src/http.ts', '#services/entitlement/src/store.js')).toMatch(
      /services\/catalog/,
    );
    expect(violation('services/catalog/src/http.ts', '../../entitlement/src/store.js')).toMatch(/services\/catalog/);
    expect(violation('services/catalog/src/http.ts', '#platform/aws/s3-store.js')).toMatch(/platform\/aws/);
    expect(violation('services/catalog/src/http.ts', '#runtime/standalone/server.js')).toMatch(/runtime/);
    expect(violation('services/catalog/src/http.ts', '@aws-sdk/client-s3')).toMatch(/cloud SDK/);
    expect(violation('services/catalog/test/catalog.test.ts', '#platform/local/sqlite-table.js')).toBeUndefined();
    expect(violation('services/catalog/test/catalog.test.ts', '#services/media/src/store.js')).toBeDefined();
    expect(violation('platform/aws/x.ts', '#services/catalog/src/http.js')).toBeDefined();
    expect(violation('platform/local/media-edge.ts', '#protocol/cloudfront-cookies.js')).toBeUndefined();
    expect(violation('platform/local/x.ts', '#platform/aws/dynamo-table.js')).toBeDefined();
    expect(violation('platform/local/ffmpeg/x.ts', '#services/media/src/pipeline.js')).toBeDefined();
    expect(violation('runtime/aws/catalog.ts', '#platform/aws/s3-store.js')).toBeUndefined();
    expect(violation('runtime/aws/catalog.ts', '#platform/local/file-store.js')).toBeDefined();
    expect(violation('runtime/standalone/server.ts', '#platform/aws/dynamo-table.js')).toBeDefined();
    expect(violation('runtime/standalone/server.ts', '#services/catalog/src/http.js')).toBeUndefined();
    expect(violation('web/src/lib/x.ts', '#runtime/standalone/server.js')).toBeDefined();
    expect(violation('infra/bus.ts', '#services/catalog/src/subscribers.js')).toBeUndefined();
    expect(violation('infra/bus.ts', '#services/catalog/src/store.js')).toBeDefined();
  });

  it('every source file keeps them', () => {
    const files = ['shared', 'protocol', 'services', 'platform', 'runtime', 'web/src', 'infra', 'workflows'].flatMap(
      (dir) => {
        try {
          return sourceFiles(dir);
        } catch {
          return [];
        }
      },
    );
    expect(files.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const specifier = match[1] ?? match[2] ?? match[3];
        if (!specifier) continue;
        const problem = violation(file, specifier);
        if (problem) problems.push(`${file}: ${problem} (${specifier})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('no import climbs three folders (subpath imports read as names)', () => {
    const files = ['shared', 'protocol', 'services', 'platform', 'runtime', 'web/src', 'infra', 'test'].flatMap((dir) =>
      sourceFiles(dir),
    );
    const climbing = files.filter((file) => readFileSync(join(root, file), 'utf8').includes("'" + '../'.repeat(3)));
    expect(climbing).toEqual([]);
  });
});
