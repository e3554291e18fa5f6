import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export interface TemperatureCollectorOptions extends CollectorOptions {
  /** The hwmon class directory; tests point it at a fixture tree. Default `/sys/class/hwmon`. */
  root?: string;
}

// Readings outside this range are unconnected inputs or error codes, not temperatures.
const PLAUSIBLE_CELSIUS = { min: -60, max: 200 };

/**
 * `temperature_celsius{chip, sensor}` for every hwmon temperature input
 * (`/sys/class/hwmon/hwmonN/tempM_input`, millidegrees): `chip` is the driver's `name`
 * (e.g. `coretemp`, `nvme`), `sensor` its `tempM_label` (e.g. `Package id 0`) or `tempM`.
 * Hosts without sensors (most VMs and containers) report nothing. systeminformation's
 * `cpuTemperature()` is not used: it spawned 7 processes per call when measured.
 */
export function createTemperatureCollector(options: TemperatureCollectorOptions = {}): Collector {
  const root = options.root ?? '/sys/class/hwmon';
  return {
    name: 'temperature',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      const ts = Date.now();
      let chips: string[];
      try {
        chips = await readdir(root);
      } catch (err) {
        // No hwmon class at all (non-Linux, or sysfs not mounted): no sensors, not a failure.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      chips.sort(byNumber);
      const perChip = await Promise.all(chips.map((dir) => readChip(join(root, dir), dir, ts)));
      return distinctChips(perChip, chips);
    },
  };
}

async function readChip(dir: string, fallbackName: string, ts: number): Promise<Sample[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  const chip = (await readText(join(dir, 'name'))) ?? fallbackName;
  const inputs = files.filter((f) => /^temp\d+_input$/.test(f)).sort(byNumber);
  const samples: Sample[] = [];
  const seen = new Map<string, number>();
  for (const input of inputs) {
    const id = input.slice(0, -'_input'.length);
    // A sensor whose driver cannot read it returns EIO/ENODATA on read: skip that one input.
    const raw = await readText(join(dir, input));
    const value = raw === undefined ? NaN : Number(raw) / 1000;
    if (!Number.isFinite(value) || value < PLAUSIBLE_CELSIUS.min || value > PLAUSIBLE_CELSIUS.max) continue;
    let sensor = (await readText(join(dir, `${id}_label`))) || id;
    // Two inputs with one label (it happens on some boards) would collide as one series.
    const n = (seen.get(sensor) ?? 0) + 1;
    seen.set(sensor, n);
    if (n > 1) sensor = `${sensor} ${id}`;
    samples.push({ metric: 'temperature_celsius', ts, value, labels: { chip, sensor: sensor.slice(0, 256) } });
  }
  return samples;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/**
 * Two chips of one driver (two NVMe drives are both `nvme`) would report one series twice at
 * one timestamp, and the Worker refuses such a batch whole (`duplicate_sample`): the second
 * and later get their hwmon directory in `chip`, as sensors sharing a label get their input.
 */
function distinctChips(perChip: Sample[][], dirs: string[]): Sample[] {
  const seen = new Map<string, number>();
  return perChip.flatMap((samples, i) => {
    const chip = samples[0]?.labels?.chip;
    if (chip === undefined) return samples;
    const n = (seen.get(chip) ?? 0) + 1;
    seen.set(chip, n);
    if (n === 1) return samples;
    return samples.map((x) => ({ ...x, labels: { ...x.labels, chip: `${chip} ${dirs[i]}` } }));
  });
}

function byNumber(a: string, b: string): number {
  return Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]);
}
