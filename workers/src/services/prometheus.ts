import type { LatestValue } from '../../../schema/wire/telemetry.ts';

/**
 * Prometheus text exposition (format 0.0.4) of latest values. Every metric is a gauge named
 * `edgewatch_<metric>`; each sample carries the device's labels, then the series' own.
 */

export interface ExposedDevice {
  id: string;
  name: string;
  siteId: string | null;
  values: LatestValue[];
}

/** Labels this exporter sets itself; a series label of the same name is renamed `exported_<name>`. */
const OWN_LABELS = new Set(['device_id', 'device', 'site_id']);

export function metricNameOf(metric: string): string {
  return `edgewatch_${metric.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** A valid label name that cannot collide with ours, nor use the `__` prefix Prometheus reserves. */
export function labelNameOf(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(?=[0-9])/, '_');
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

function sampleLine(name: string, device: ExposedDevice, v: LatestValue): string {
  const labels: [string, string][] = [
    ['device_id', device.id],
    ['device', device.name],
    ...(device.siteId === null ? [] : ([['site_id', device.siteId]] as [string, string][])),
    ...Object.entries(v.labels)
      .map(([k, val]): [string, string] => [labelNameOf(k), val])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ];
  const set = labels.map(([k, val]) => `${k}="${escapeLabelValue(val)}"`).join(',');
  return `${name}{${set}} ${formatValue(v.value)} ${v.ts}`;
}

/** The exposition text: metric families in name order, samples in the order devices are given. */
export function exposition(devices: readonly ExposedDevice[]): string {
  const families = new Map<string, string[]>();
  for (const device of devices) {
    for (const v of device.values) {
      const name = metricNameOf(v.metric);
      let lines = families.get(name);
      if (!lines) families.set(name, (lines = []));
      lines.push(sampleLine(name, device, v));
    }
  }
  return [...families.keys()]
    .sort()
    .map((name) => `# TYPE ${name} gauge\n${families.get(name)!.join('\n')}\n`)
    .join('');
}
