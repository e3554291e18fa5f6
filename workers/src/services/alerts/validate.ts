import { and, eq } from 'drizzle-orm';
import type { AlertRuleBody, AlertScope, Comparison, ThresholdLevel } from '../../../../schema/wire/alerts.ts';
import type { Db } from '../../db.ts';
import { schema } from '../../db.ts';
import { badRequest } from '../../errors.ts';
import { passes } from './engine/levels.ts';
import { anchored } from './rules.ts';

/**
 * Checks of a rule across its fields, which the wire schema cannot state. Each refusal is a 400
 * `invalid_rule` naming the field; the operations' descriptions list them (RULE_CHECKS).
 */
export const RULE_CHECKS =
  'A rule is refused with `invalid_rule` (400, naming the field) when: `metric` is missing (only `offline` rules go without, and take neither metric nor matchers); a threshold or rate condition has neither `warning` nor `critical`; a `clear` is not on the safe side of its `value` (for `>`/`>=` at or below it, for `<`/`<=` at or above it); `critical.value` is not beyond `warning.value` in the direction of `op`; `scope.value` is missing (it is required unless the scope is `org`, which takes none) or names no device or site of this organisation; an `=~` matcher is not a valid regular expression (RE2 syntax: no lookaround or backreferences).';

const invalid = (field: string, message: string) => badRequest('invalid_rule', `${field}: ${message}`, field);

/** The part that needs no database. Throws the first problem found. */
export function checkRuleShape(body: AlertRuleBody): void {
  const c = body.condition;
  if (c.kind === 'offline') {
    if (body.metric !== undefined)
      throw invalid('metric', 'an offline rule watches the device, not a metric; leave metric out');
    if (body.matchers.length > 0) throw invalid('matchers', 'an offline rule takes no label matchers');
  } else if (body.metric === undefined) {
    throw invalid('metric', `a ${c.kind} rule needs the metric it watches, e.g. "disk_used_percent"`);
  }
  if (c.kind === 'threshold' || c.kind === 'rate') {
    if (!c.warning && !c.critical) throw invalid('condition.warning', 'give a warning or a critical level (or both)');
    checkClear(c.op, c.warning, 'condition.warning');
    checkClear(c.op, c.critical, 'condition.critical');
    if (c.warning && c.critical && !passes(c.op, c.critical.value, c.warning.value)) {
      throw invalid(
        'condition.critical.value',
        `critical (${c.critical.value}) must be beyond warning (${c.warning.value}) in the direction of ${c.op}`,
      );
    }
  }
  if (body.scope.kind === 'org') {
    if (body.scope.value !== undefined)
      throw invalid('scope.value', 'an org scope covers every device; leave value out');
  } else if (body.scope.value === undefined) {
    throw invalid('scope.value', `a ${body.scope.kind} scope needs the ${body.scope.kind} it covers`);
  }
  body.matchers.forEach((m, i) => {
    if (m.op === '=~') checkRegex(m.value, `matchers.${i}.value`);
  });
}

function checkClear(op: Comparison, level: ThresholdLevel | undefined, field: string): void {
  if (!level || level.clear === undefined || level.clear === level.value) return;
  // The clear line must be on the side the value returns to: not past `value` in the op's direction.
  const up = op === '>' || op === '>=';
  if (up ? level.clear > level.value : level.clear < level.value) {
    throw invalid(
      `${field}.clear`,
      `clear (${level.clear}) must be ${up ? 'at or below' : 'at or above'} value (${level.value}) for ${op}`,
    );
  }
}

function checkRegex(pattern: string, field: string): void {
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern)) {
    throw invalid(field, 'lookaround and backreferences are not RE2 syntax');
  }
  try {
    anchored(pattern);
  } catch (err) {
    throw invalid(field, `not a valid regular expression (${(err as Error).message})`);
  }
}

/**
 * The whole check: shape, then that a device or site scope names one of the organisation's
 * (unless it is the scope the rule already had: a rule whose device was deleted can still be
 * renamed or disabled).
 */
export async function checkRule(d: Db, orgId: string, body: AlertRuleBody, stored?: AlertScope): Promise<void> {
  checkRuleShape(body);
  const { kind, value } = body.scope;
  if (value === undefined || (kind !== 'device' && kind !== 'site')) return;
  if (stored && stored.kind === kind && stored.value === value) return;
  const table = kind === 'device' ? schema.devices : schema.sites;
  const found = await d
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.id, value), eq(table.orgId, orgId)))
    .get();
  if (!found) throw invalid('scope.value', `no ${kind} "${value}" in this organisation`);
}
