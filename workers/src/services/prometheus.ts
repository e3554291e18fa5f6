import type { LatestValue } from '../../../schema/wire/telemetry.ts';
import { exposedMetric, type ExposedMetric } from './prometheus-names.ts';

/**
 * Prometheus text exposition (format 0.0.4) of latest values, clean under
 * `promtool check metrics`: every family has `# HELP` and `# TYPE`, a `_total` family is a
 * counter, and names are mapped to Prometheus' naming rules (see prometheus-names.ts).
 * Each sample carries the device's labels, then the series' own.
 *
 * Samples carry no timestamp. Prometheus stamps a scrape with its own time; a sample with an
 * explicit timestamp older than its lookback window (5 minutes by default) is dropped from
 * queries, so a device that reported 10 minutes ago would vanish from graphs instead of
 * showing its last value, and a stamped sample also defeats staleness handling. The time of
 * the last report stays available from the JSON API.
 */

export interface ExposedDevice {
  id: string;
  name: string;
  siteId: string | null;
  values: LatestValue[];
}

/**
 * Labels this exporter sets itself, and the ones Prometheus gives a meaning to on histograms
 * and summaries; a series label of the same name is renamed `exported_<name>`.
 */
const OWN_LABELS = new Set(['device_id', 'device', 'site_id', 'le', 'quantile']);

/** A valid snake_case label name that cannot collide with ours, nor use the reserved `__` prefix. */
export function labelNameOf(name: string): string {
  const clean = name
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/^(?=[0-9])/, '_');
  return OWN_LABELS.has(clean) || clean.startsWith('__') ? `exported_${clean}` : clean;
}

/** Label values escape backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

function seriesLabels(device: ExposedDevice, v: LatestValue): [string, string][] {
  const labels: [string, string][] = [
    ['device_id', device.id],
    ['device', device.name],
    ...(device.siteId === null ? [] : ([['site_id', device.siteId]] as [string, string][])),
  ];
  const own = Object.entries(v.labels)
    .map(([k, val]): [string, string] => [labelNameOf(k), val])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Two source labels can map to one name (`fooBar` and `foo_bar`); a repeated name breaks the parse.
  const taken = new Set(labels.map(([k]) => k));
  for (const [k, val] of own) {
    let name = k;
    while (taken.has(name)) name = `exported_${name}`;
    taken.add(name);
    labels.push([name, val]);
  }
  return labels;
}

function sampleLine(metric: ExposedMetric, device: ExposedDevice, v: LatestValue): string {
  const set = seriesLabels(device, v)
    .map(([k, val]) => `${k}="${escapeLabelValue(val)}"`)
    .join(',');
  return `${metric.name}{${set}} ${formatValue(metric.convert(v.value))}`;
}

interface Family {
  metric: ExposedMetric;
  sources: Set<string>;
  lines: string[];
}

function helpOf(family: Family): string {
  const sources = [...family.sources].sort().join(', ');
  const scaled = family.metric.scaled ? ', converted to base units' : '';
  return `Latest value of the Edgewatch metric ${sources}${scaled}, as last reported by each device.`;
}

/** The exposition text: metric families in name order, samples in the order devices are given. */
export function exposition(devices: readonly ExposedDevice[]): string {
  const families = new Map<string, Family>();
  const mapped = new Map<string, ExposedMetric>();
  for (const device of devices) {
    for (const v of device.values) {
      let metric = mapped.get(v.metric);
      if (!metric) mapped.set(v.metric, (metric = exposedMetric(v.metric)));
      let family = families.get(metric.name);
      if (!family) families.set(metric.name, (family = { metric, sources: new Set(), lines: [] }));
      family.sources.add(v.metric);
      family.lines.push(sampleLine(metric, device, v));
    }
  }
  return [...families.keys()]
    .sort()
    .map((name) => {
      const family = families.get(name)!;
      const head = `# HELP ${name} ${helpOf(family)}\n# TYPE ${name} ${family.metric.type}\n`;
      return `${head}${family.lines.join('\n')}\n`;
    })
    .join('');
}
