import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/** One axe rule broken on a page, with where, so a failing test names what to fix. */
export interface AxeViolation {
  rule: string;
  impact: 'serious' | 'critical';
  help: string;
  /** CSS selectors of the offending elements (at most five). */
  targets: string[];
}

/** The WCAG 2.1 A and AA rules plus axe's best practices: what the dashboard promises. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/**
 * Runs axe-core in the page as it is now and returns its serious and critical violations
 * (minor and moderate ones are left to review). `exclude` takes selectors the caller
 * deliberately leaves out, such as a third-party canvas.
 */
export async function seriousViolations(page: Page, exclude: string[] = []): Promise<AxeViolation[]> {
  let builder = new AxeBuilder({ page }).withTags(TAGS);
  for (const selector of exclude) builder = builder.exclude(selector);
  const results = await builder.analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      rule: v.id,
      impact: v.impact as AxeViolation['impact'],
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
}

/** A one-line-per-violation summary for assertion messages. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.rule}: ${v.help} at ${v.targets.join(', ')}`).join('\n');
}
