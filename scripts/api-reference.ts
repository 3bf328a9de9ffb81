/**
 * Rewrites the route list in docs/api.md (between the `routes:start` and `routes:end` markers)
 * from the merged OpenAPI document, so the page says what the code declares. A test fails when
 * the page is stale: run this and commit the result.
 *
 *   node --import tsx scripts/api-reference.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  apiDocument,
  ROUTES_END as END,
  ROUTES_START as START,
  routeTables,
} from '#runtime/standalone/api-document.js';

const file = fileURLToPath(new URL('../docs/api.md', import.meta.url));
const page = readFileSync(file, 'utf8');
const from = page.indexOf(START);
const to = page.indexOf(END);
if (from < 0 || to < from) throw new Error(`docs/api.md needs the markers ${START} and ${END}`);
const tables = routeTables(await apiDocument());
writeFileSync(file, `${page.slice(0, from + START.length)}\n\n${tables}\n${page.slice(to)}`);
console.log('docs/api.md: route list rewritten');
