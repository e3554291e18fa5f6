import type {
  AlertCondition,
  AlertRuleBody,
  AlertScopeKind,
  Comparison,
  LabelMatcher,
  ThresholdLevel,
} from '../../../../../schema/wire/alerts.ts';
import type { FormError } from '../device/field-error.ts';
import { DURATION_HINT, formatDuration, parseDuration } from './durations.ts';

export type ConditionKind = AlertCondition['kind'];
export const CONDITION_KINDS: readonly { kind: ConditionKind; label: string }[] = [
  { kind: 'threshold', label: 'Threshold' },
  { kind: 'rate', label: 'Rate of change (per second)' },
  { kind: 'no_data', label: 'No data' },
  { kind: 'offline', label: 'Device offline' },
];
export const COMPARISONS: readonly Comparison[] = ['>', '>=', '<', '<='];
export const MATCH_OPS: readonly LabelMatcher['op'][] = ['=', '!=', '=~'];
export const SCOPE_KINDS: readonly { kind: AlertScopeKind; label: string }[] = [
  { kind: 'org', label: 'Every device' },
  { kind: 'device', label: 'One device' },
  { kind: 'site', label: 'A site' },
  { kind: 'tag', label: 'Devices with a tag' },
];

/** A threshold level as typed: empty `value` leaves the level out, empty `clear` means no hysteresis. */
export interface LevelDraft {
  value: string;
  clear: string;
}

/** The rule editor's form state: everything as the user typed it, durations as text ("5m"). */
export interface RuleDraft {
  name: string;
  description: string;
  enabled: boolean;
  scopeKind: AlertScopeKind;
  scopeValue: string;
  metric: string;
  matchers: LabelMatcher[];
  kind: ConditionKind;
  op: Comparison;
  warning: LevelDraft;
  critical: LevelDraft;
  /** '' for the raw value. */
  aggFn: '' | 'mean' | 'max' | 'min';
  aggWindow: string;
  rateWindow: string;
  /** no_data: required; offline: '' means twice the device's interval. */
  after: string;
  forDuration: string;
  keepFiringFor: string;
  /** '' never repeats. */
  repeatInterval: string;
}

export function emptyDraft(): RuleDraft {
  return {
    name: '',
    description: '',
    enabled: true,
    scopeKind: 'org',
    scopeValue: '',
    metric: '',
    matchers: [],
    kind: 'threshold',
    op: '>',
    warning: { value: '', clear: '' },
    critical: { value: '', clear: '' },
    aggFn: '',
    aggWindow: '5m',
    rateWindow: '5m',
    after: '',
    forDuration: '0s',
    keepFiringFor: '0s',
    repeatInterval: '',
  };
}

const levelDraft = (l: ThresholdLevel | undefined): LevelDraft => ({
  value: l ? String(l.value) : '',
  clear: l?.clear === undefined ? '' : String(l.clear),
});

/** The form state of a saved rule. */
export function draftFromRule(rule: AlertRuleBody): RuleDraft {
  const d = emptyDraft();
  const c = rule.condition;
  return {
    ...d,
    name: rule.name,
    description: rule.description ?? '',
    enabled: rule.enabled,
    scopeKind: rule.scope.kind,
    scopeValue: rule.scope.value ?? '',
    metric: rule.metric ?? '',
    matchers: rule.matchers.map((m) => ({ ...m })),
    kind: c.kind,
    op: c.kind === 'threshold' || c.kind === 'rate' ? c.op : d.op,
    warning: c.kind === 'threshold' || c.kind === 'rate' ? levelDraft(c.warning) : d.warning,
    critical: c.kind === 'threshold' || c.kind === 'rate' ? levelDraft(c.critical) : d.critical,
    aggFn: c.kind === 'threshold' && c.aggregation ? c.aggregation.fn : '',
    aggWindow: c.kind === 'threshold' && c.aggregation ? formatDuration(c.aggregation.windowMs) : d.aggWindow,
    rateWindow: c.kind === 'rate' ? formatDuration(c.windowMs) : d.rateWindow,
    after: (c.kind === 'no_data' || c.kind === 'offline') && c.afterMs !== undefined ? formatDuration(c.afterMs) : '',
    forDuration: formatDuration(rule.forMs),
    keepFiringFor: formatDuration(rule.keepFiringForMs),
    repeatInterval: rule.repeatIntervalMs === null ? '' : formatDuration(rule.repeatIntervalMs),
  };
}

/** Thrown inside {@link bodyFromDraft} for a value the browser cannot even send. */
class DraftError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

function duration(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new DraftError(field, `"${text}" is not a duration: ${DURATION_HINT}`);
  return ms;
}

function level(d: LevelDraft, field: string): ThresholdLevel | undefined {
  if (d.value.trim() === '') {
    if (d.clear.trim() !== '')
      throw new DraftError(`${field}.value`, 'give the value that fires before its clear value');
    return undefined;
  }
  const value = Number(d.value);
  if (!Number.isFinite(value)) throw new DraftError(`${field}.value`, `"${d.value}" is not a number`);
  if (d.clear.trim() === '') return { value };
  const clear = Number(d.clear);
  if (!Number.isFinite(clear)) throw new DraftError(`${field}.clear`, `"${d.clear}" is not a number`);
  return { value, clear };
}

function condition(d: RuleDraft): AlertCondition {
  switch (d.kind) {
    case 'threshold': {
      const aggregation = d.aggFn
        ? { fn: d.aggFn, windowMs: duration(d.aggWindow, 'condition.aggregation.windowMs') }
        : undefined;
      return {
        kind: 'threshold',
        op: d.op,
        warning: level(d.warning, 'condition.warning'),
        critical: level(d.critical, 'condition.critical'),
        ...(aggregation ? { aggregation } : {}),
      };
    }
    case 'rate':
      return {
        kind: 'rate',
        op: d.op,
        warning: level(d.warning, 'condition.warning'),
        critical: level(d.critical, 'condition.critical'),
        windowMs: duration(d.rateWindow, 'condition.windowMs'),
      };
    case 'no_data':
      return { kind: 'no_data', afterMs: duration(d.after, 'condition.afterMs') };
    case 'offline':
      return d.after.trim()
        ? { kind: 'offline', afterMs: duration(d.after, 'condition.afterMs') }
        : { kind: 'offline' };
  }
}

/**
 * The API body for a draft, or the field the browser could not turn into a value (a duration
 * that is not one, a threshold that is not a number). Everything else (ranges, a clear value on
 * the wrong side) is the API's to judge: its 400 names the field, shown beside it.
 */
export function bodyFromDraft(d: RuleDraft): { body: AlertRuleBody } | { error: FormError } {
  try {
    const body: AlertRuleBody = {
      name: d.name.trim(),
      enabled: d.enabled,
      scope: d.scopeKind === 'org' ? { kind: 'org' } : { kind: d.scopeKind, value: d.scopeValue.trim() },
      matchers: d.kind === 'offline' ? [] : d.matchers,
      condition: condition(d),
      forMs: duration(d.forDuration || '0', 'forMs'),
      keepFiringForMs: duration(d.keepFiringFor || '0', 'keepFiringForMs'),
      repeatIntervalMs: d.repeatInterval.trim() ? duration(d.repeatInterval, 'repeatIntervalMs') : null,
    };
    if (d.description.trim()) body.description = d.description.trim();
    if (d.kind !== 'offline' && d.metric.trim()) body.metric = d.metric.trim();
    return { body };
  } catch (err) {
    if (err instanceof DraftError) return { error: { field: err.field, message: err.message } };
    throw err;
  }
}

/** The API field paths the editor has an input for with this draft (errors on others go under the form). */
export function inputPaths(d: RuleDraft): string[] {
  const paths = ['name', 'description', 'scope.kind', 'forMs', 'keepFiringForMs', 'repeatIntervalMs'];
  if (d.scopeKind !== 'org') paths.push('scope.value');
  if (d.kind !== 'offline') {
    paths.push('metric');
    d.matchers.forEach((_, i) => paths.push(`matchers.${i}.label`, `matchers.${i}.value`));
  }
  if (d.kind === 'threshold' || d.kind === 'rate')
    for (const level of ['warning', 'critical']) paths.push(`condition.${level}.value`, `condition.${level}.clear`);
  if (d.kind === 'threshold' && d.aggFn) paths.push('condition.aggregation.windowMs');
  if (d.kind === 'rate') paths.push('condition.windowMs');
  if (d.kind === 'no_data' || d.kind === 'offline') paths.push('condition.afterMs');
  return paths;
}

/**
 * Whether a draft is worth previewing: complete enough that the API's answer says something
 * about the rule rather than about a half-typed form.
 */
export function previewable(d: RuleDraft): boolean {
  if (!d.name.trim()) return false;
  if (d.scopeKind !== 'org' && !d.scopeValue.trim()) return false;
  if (d.kind === 'offline') return true;
  if (!d.metric.trim()) return false;
  if (d.kind === 'no_data') return d.after.trim() !== '';
  return d.warning.value.trim() !== '' || d.critical.value.trim() !== '';
}

/** One line saying what a rule watches, for lists: `cpu_usage_percent > 90 (warning 80) for 5m`. */
export function describeRule(rule: AlertRuleBody): string {
  const c = rule.condition;
  const forText = rule.forMs > 0 ? ` for ${formatDuration(rule.forMs)}` : '';
  switch (c.kind) {
    case 'threshold':
    case 'rate': {
      const subject =
        c.kind === 'rate'
          ? `rate(${rule.metric ?? '?'}, ${formatDuration(c.windowMs)})`
          : c.aggregation
            ? `${c.aggregation.fn}(${rule.metric ?? '?'}, ${formatDuration(c.aggregation.windowMs)})`
            : (rule.metric ?? '?');
      const levels = [
        c.critical ? `critical ${c.op} ${c.critical.value}` : '',
        c.warning ? `warning ${c.op} ${c.warning.value}` : '',
      ].filter(Boolean);
      return `${subject}: ${levels.join(', ')}${forText}`;
    }
    case 'no_data':
      return `${rule.metric ?? '?'}: no data for ${formatDuration(c.afterMs)}${forText}`;
    case 'offline':
      return `device offline${c.afterMs ? ` for ${formatDuration(c.afterMs)}` : ' (2× its interval)'}${forText}`;
  }
}

/** `=`/`!=`/`=~` matchers as text: `mount="/", fs=~"ext.*"`. */
export const matchersText = (matchers: readonly LabelMatcher[]): string =>
  matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ');
