import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of ARCHITECTURE.md, checked on every source file:
 * - shared imports nothing of ours and no cloud SDK;
 * - a service imports shared and itself only; its lambda.ts may also import platform/aws;
 * - platform/aws imports shared; platform/local imports shared, the services and itself;
 * - web imports shared only; infra imports shared, workflows and the services' subscription lists.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLOUD_SDKS = /^(@aws-sdk\/|@pulumi\/|algoliasearch|stripe|@auth0\/)/;

const stripped = (path: string) => path.replace(/\.(js|ts)$/, '');

export function violation(file: string, target: string): string | undefined {
  const area = (path: string) => {
    const [top, second, third, fourth] = path.split('/');
    if (top === 'services') {
      return { top, name: second, file: stripped([third, fourth].join('/')), path: stripped(path) };
    }
    if (top === 'platform') return { top: `platform/${second}`, name: undefined, file: '', path: stripped(path) };
    return { top: top ?? '', name: undefined, file: '', path: stripped(path) };
  };
  const from = area(file);
  // Tests run on the local adapters (ARCHITECTURE: "service tests on local adapters") and share
  // fixtures and contract suites from test/; they still may not reach into another service.
  const isTest = /\.test\.ts$/.test(file) || file.split('/').includes('test');
  const isPackage = !target.startsWith('.') && !target.startsWith('/') && !target.startsWith('$');
  if (isPackage) {
    if (from.top === 'shared' && CLOUD_SDKS.test(target)) return `shared may not import the cloud SDK ${target}`;
    if (from.top === 'services' && CLOUD_SDKS.test(target) && from.file !== 'src/lambda' && !isTest) {
      return `a service may not import the cloud SDK ${target}; platform/aws wraps it`;
    }
    return undefined;
  }
  if (!target.startsWith('.')) return undefined;
  const to = area(relative(root, resolve(root, dirname(file), target)));
  const allowed: Record<string, (t: typeof to) => boolean> = {
    shared: (t) => t.top === 'shared',
    services: (t) =>
      t.top === 'shared' ||
      (t.top === 'services' && t.name === from.name) ||
      (from.file === 'src/lambda' && t.top === 'platform/aws'),
    'platform/aws': (t) => t.top === 'shared' || t.top === 'platform/aws',
    // The local media edge checks the very cookies CloudFront checks, and the payment sandbox's
    // webhooks go through Stripe's own parser, so it composes those two AWS adapters.
    'platform/local': (t) =>
      ['shared', 'services', 'platform/local', 'web', 'workflows'].includes(t.top) ||
      t.path === 'platform/aws/cloudfront-cookies' ||
      t.path === 'platform/aws/stripe-payments',
    web: (t) => t.top === 'shared' || t.top === 'web',
    infra: (t) =>
      ['shared', 'infra', 'workflows'].includes(t.top) || (t.top === 'services' && t.file === 'src/subscribers'),
    workflows: (t) => t.top === 'shared' || t.top === 'workflows',
  };
  if (isTest && ['test', 'platform/local', 'platform/aws'].includes(to.top)) return undefined;
  const rule = allowed[from.top];
  if (rule && !rule(to))
    return `${from.top}${from.name ? `/${from.name}` : ''} may not import ${to.top}${to.name ? `/${to.name}` : ''}`;
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['node_modules', 'build', '.svelte-kit', 'screenshots'].includes(entry.name) ? [] : sourceFiles(path);
    }
    return /\.(ts|js|svelte)$/.test(entry.name) ? [path] : [];
  });
}

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

describe('import rules (ARCHITECTURE.md)', () => {
  it('the checker itself catches a violation of each kind', () => {
    expect(violation('shared/ports/x.ts', '../../services/catalog/src/http.js')).toMatch(/shared may not import/);
    expect(violation('shared/ports/x.ts', '@aws-sdk/client-s3')).toMatch(/cloud SDK/);
    expect(violation('services/catalog/src/http.ts', '../../entitlement/src/store.js')).toMatch(/services\/catalog/);
    expect(violation('services/catalog/src/http.ts', '../../../platform/local/server.js')).toMatch(/platform\/local/);
    expect(
      violation('services/catalog/test/catalog.test.ts', '../../../platform/local/sqlite-table.js'),
    ).toBeUndefined();
    expect(violation('services/catalog/test/catalog.test.ts', '../../media/src/store.js')).toBeDefined();
    expect(violation('services/catalog/src/lambda.ts', '../../../platform/aws/x.js')).toBeUndefined();
    expect(violation('platform/aws/x.ts', '../../services/catalog/src/http.js')).toBeDefined();
    expect(violation('web/src/lib/x.ts', '../../../platform/local/server.js')).toBeDefined();
    expect(violation('infra/bus.ts', '../services/catalog/src/subscribers.js')).toBeUndefined();
    expect(violation('infra/bus.ts', '../services/catalog/src/store.js')).toBeDefined();
    expect(violation('platform/local/media-edge.ts', '../aws/cloudfront-cookies.js')).toBeUndefined();
    expect(violation('platform/local/server.ts', '../aws/dynamo-table.js')).toBeDefined();
  });

  it('every source file keeps them', () => {
    const files = ['shared', 'services', 'platform', 'web/src', 'infra', 'workflows'].flatMap((dir) => {
      try {
        return sourceFiles(dir);
      } catch {
        return [];
      }
    });
    expect(files.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const target = match[1] ?? match[2] ?? match[3];
        if (!target) continue;
        const problem = violation(file, target);
        if (problem) problems.push(`${file}: ${problem} (${target})`);
      }
    }
    expect(problems).toEqual([]);
  });
});
