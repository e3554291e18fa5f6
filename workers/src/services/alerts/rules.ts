import type { AlertCondition, AlertRuleBody, AlertRuleView, LabelMatcher } from '../../../../schema/wire/alerts.ts';
import type { schema } from '../../db.ts';
import type { EngineRule } from './engine/types.ts';

export type AlertRuleRow = typeof schema.alertRules.$inferSelect;

/**
 * A rule as a DeviceHub keeps it: what the engine needs, what incidents record, and `fp`, the
 * fingerprint of what decides which series it watches and when it holds. A change of `fp` ends
 * the rule's open incidents (the route resolves them) and restarts its state in every hub.
 */
export interface ActiveRule {
  id: string;
  name: string;
  version: number;
  metric: string | null;
  matchers: LabelMatcher[];
  condition: AlertCondition;
  forMs: number;
  keepFiringForMs: number;
  repeatIntervalMs: number | null;
  fp: string;
}

type Definition = Pick<AlertRuleRow, 'scopeKind' | 'scopeValue' | 'metric' | 'matchers' | 'condition'>;

/** What makes two versions of a rule the same watch: scope, metric, matchers and condition. */
export const definitionOf = (r: Definition): string =>
  JSON.stringify([r.scopeKind, r.scopeValue, r.metric, r.matchers, r.condition]);

export function activeRule(row: AlertRuleRow): ActiveRule {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    metric: row.metric,
    matchers: row.matchers,
    condition: row.condition,
    forMs: row.forMs,
    keepFiringForMs: row.keepFiringForMs,
    repeatIntervalMs: row.repeatIntervalMs,
    fp: definitionOf(row),
  };
}

/** The engine's view of a rule for one series: a `*_total` metric is a counter. */
export const engineRule = (r: ActiveRule, metric: string | null): EngineRule => ({
  condition: r.condition,
  forMs: r.forMs,
  keepFiringForMs: r.keepFiringForMs,
  counter: metric?.endsWith('_total') ?? false,
});

/** An `=~` matcher's expression, anchored: it must match the whole value (as in Prometheus). */
export const anchored = (pattern: string) => new RegExp(`^(?:${pattern})$`);

const compiled = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = anchored(pattern);
    if (compiled.size > 1_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Whether the labels satisfy every matcher; an absent label reads as '' (as in Prometheus). */
export function matchesLabels(matchers: readonly LabelMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => {
    const value = Object.hasOwn(labels, m.label) ? labels[m.label]! : '';
    if (m.op === '=') return value === m.value;
    if (m.op === '!=') return value !== m.value;
    return regex(m.value).test(value);
  });
}

/** Whether a series-level rule (threshold, rate, no data) watches this series. */
export const watchesSeries = (r: ActiveRule, metric: string, labels: Record<string, string>): boolean =>
  r.condition.kind !== 'offline' && r.metric === metric && matchesLabels(r.matchers, labels);

/** A rule as the API answers it. */
export function ruleView(row: AlertRuleRow): AlertRuleView {
  return {
    id: row.id,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    enabled: row.enabled,
    scope: { kind: row.scopeKind, ...(row.scopeValue !== null ? { value: row.scopeValue } : {}) },
    ...(row.metric !== null ? { metric: row.metric } : {}),
    matchers: row.matchers,
    condition: row.condition,
    forMs: row.forMs,
    keepFiringForMs: row.keepFiringForMs,
    repeatIntervalMs: row.repeatIntervalMs,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The columns a body sets (create and update alike). */
export function columnsOf(body: AlertRuleBody) {
  return {
    name: body.name,
    description: body.description ?? null,
    enabled: body.enabled,
    scopeKind: body.scope.kind,
    scopeValue: body.scope.value ?? null,
    metric: body.metric ?? null,
    matchers: body.matchers,
    condition: body.condition,
    forMs: body.forMs,
    keepFiringForMs: body.keepFiringForMs,
    repeatIntervalMs: body.repeatIntervalMs,
  };
}

/** The body a stored rule would be created with: the base a partial update applies to. */
export function bodyOf(row: AlertRuleRow): AlertRuleBody {
  const { id: _id, version: _v, createdAt: _c, updatedAt: _u, ...body } = ruleView(row);
  return body;
}
