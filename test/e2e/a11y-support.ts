import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { screenshot } from './harness.js';

/** What the accessibility suites share: the widths, the axe rules, and one audit of a page view. */

/** The widths the issue names: a 390×844 phone, a 768×1024 tablet, a 1280×800 desktop. */
export const A11Y_WIDTHS = {
  phone: { width: 390, height: 844 },
  tablet: { width: 768, height: 1024 },
  desktop: { width: 1280, height: 800 },
} as const;
export type A11yWidth = keyof typeof A11Y_WIDTHS;
const WIDTHS = Object.keys(A11Y_WIDTHS) as A11yWidth[];

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Rules run beside the tagged ones. axe keeps `label-content-name-mismatch` (WCAG 2.5.3) among its
 * experimental rules, off unless asked for; `target-size` is WCAG 2.2's 24×24 px minimum, which
 * the issue asks for; the rest are axe's best practices for the headings and landmarks the issue
 * names (one main, every piece of content inside a landmark, headings in order, one h1).
 */
export const EXTRA_RULES = [
  'label-content-name-mismatch',
  'target-size',
  'heading-order',
  'page-has-heading-one',
  'landmark-one-main',
  'landmark-unique',
  'region',
];

/**
 * The one finding we set aside (docs/accessibility.md, "Known exceptions"): axe counts the back
 * button media-chrome keeps as fallback content of a menu's hidden header slot
 * (`<slot name="header" hidden>`, display:none) as a child of the `menu`. Chromium exposes no such
 * button; this is checked on the page each time (Playwright's role query sees none) before the
 * finding is dropped, so a real stray button in a menu still fails.
 */
async function isHiddenMenuBackButton(page: Page, rule: string, summary: string, target: string): Promise<boolean> {
  if (rule !== 'aria-required-children' || !/^media-[a-z-]*menu$/.test(target)) return false;
  if (!/children which are not allowed: button\[aria-label\]\s*$/.test(summary.trim())) return false;
  return (await page.getByRole('button', { name: 'Back to previous menu' }).count()) === 0;
}

/** What axe found on the page as it is now, one line per rule and element. */
export async function violations(page: Page): Promise<string[]> {
  const rules = Object.fromEntries(EXTRA_RULES.map((rule) => [rule, { enabled: true }]));
  const result = await new AxeBuilder({ page }).options({ rules }).withTags(WCAG_TAGS).analyze();
  const found: string[] = [];
  for (const violation of result.violations) {
    for (const node of violation.nodes) {
      const target = node.target.join(' ');
      const summary = node.failureSummary?.replace(/\s+/g, ' ') ?? '';
      if (await isHiddenMenuBackButton(page, violation.id, summary, target)) continue;
      found.push(`${violation.id} (${violation.impact ?? '?'}) ${target}: ${summary}`);
    }
  }
  return found;
}

/**
 * Audits one page view at every width: `reach` brings the page to the state to audit (it runs
 * once per width, after the viewport changed), then axe runs and a screenshot is kept.
 */
export async function audit(page: Page, name: string, reach: () => Promise<void>): Promise<string[]> {
  const found: string[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize(A11Y_WIDTHS[width]);
    await reach();
    await page.waitForLoadState('load');
    // Hydration and the transitions of the page's first paint settle.
    await page.waitForTimeout(300);
    for (const line of await violations(page)) found.push(`${name} @${width}: ${line}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, `a11y-${name}`, width);
  }
  return found;
}
