import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import type { MockedProgram } from './test-support.js';

/** The value names a module exports (`export const`, destructured or not, and `export function`). */
export function exportedNames(file: string): Set<string> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const names = new Set<string>();
  const bound = (name: ts.BindingName) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bound(element.name);
  };
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported) continue;
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations) bound(declaration.name);
    if (ts.isFunctionDeclaration(statement) && statement.name) names.add(statement.name.text);
  }
  return names;
}

/**
 * Every function's handler names an export its bundle has: `index.<name>` of a function tagged
 * `service: <root>` must be exported by `runtime/aws/<root>.ts`, which scripts/build-lambdas.ts
 * bundles as that function's `index.mjs`. A renamed export would otherwise deploy, and fail on
 * its first invocation.
 */
export function handlerChecks(program: () => MockedProgram, stack: StackExpectations) {
  describe(`handlers (${stack.region}): every function runs an export its bundle has`, () => {
    it('finds each index.<export> in runtime/aws/<service>.ts', () => {
      const functions = program()
        .ofType('aws:lambda/function:Function')
        // Functions this stack deploys (a test's `Function.get` reference has no handler).
        .filter((fn) => fn.inputs.handler !== undefined)
        .filter((fn) => (fn.inputs.tags as { service?: string } | undefined)?.service !== 'web');
      expect(functions.length).toBeGreaterThan(10);
      for (const fn of functions) {
        const root = (fn.inputs.tags as { service: string }).service;
        const [file, exportName] = String(fn.inputs.handler).split('.') as [string, string];
        expect(file, fn.name).toBe('index');
        const exports = exportedNames(new URL(`../runtime/aws/${root}.ts`, import.meta.url).pathname);
        expect([...exports], `${fn.name}: ${root}.ts exports ${exportName}`).toContain(exportName);
      }
    });

    it('reads the exports the way TypeScript does (the checker itself)', () => {
      const media = exportedNames(new URL('../runtime/aws/media.ts', import.meta.url).pathname);
      expect([...media]).toEqual(expect.arrayContaining(['handler', 'onEvent', 'probe', 'recover']));
      expect(media.has('lambda')).toBe(false);
      const catalog = exportedNames(new URL('../runtime/aws/catalog.ts', import.meta.url).pathname);
      expect([...catalog]).toEqual(expect.arrayContaining(['handler', 'onEvent']));
    });
  });
}
