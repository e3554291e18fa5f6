import type { StreamSample } from '../../../schema/wire/stream.ts';
import type { DeviceView } from '../../../schema/wire/telemetry.ts';
import { api, isUnauthenticated } from './api.ts';
import { CpuChart } from './cpu-chart.ts';
import { h, setText } from './dom.ts';
import { clock, percent } from './format.ts';
import type { StreamClient, StreamState } from './stream.ts';

export const CPU_METRIC = 'cpu_usage_percent';
const WINDOW_MS = 15 * 60_000;
const SUBSCRIPTION = 'cpu';
const NO_DEVICE = 'Enroll an agent and its live CPU use appears here.';

const isHostCpu = (metric: string, labels: Record<string, string>) =>
  metric === CPU_METRIC && Object.keys(labels).length === 0;

/** The selected device: its CPU chart (15 min of history, then live), current value and stream state. */
export class DevicePanel {
  readonly el: HTMLElement;
  #stream: StreamClient;
  #orgId: string;
  #onUnauthenticated: () => void;
  #signal: AbortSignal;
  #chart = new CpuChart(WINDOW_MS);
  #title = h('h2', { 'data-testid': 'device-title' }, 'No device selected');
  #meta = h('p', { class: 'meta' });
  #value = h('span', { class: 'value', 'data-testid': 'cpu-value' }, '—');
  #valueAt = h('span', { class: 'value-at' });
  #state = h('span', { class: 'live', 'data-testid': 'stream-state', 'data-state': 'connecting' }, 'Connecting…');
  #body = h('div', { hidden: true });
  #message = h('p', { class: 'panel-message', role: 'status', hidden: true });
  #device: DeviceView | null = null;
  #seriesId: string | null = null;
  /** Bumped on every device switch, so answers for the previous device are dropped. */
  #generation = 0;

  constructor(opts: { stream: StreamClient; orgId: string; signal: AbortSignal; onUnauthenticated: () => void }) {
    this.#stream = opts.stream;
    this.#signal = opts.signal;
    this.#orgId = opts.orgId;
    this.#onUnauthenticated = opts.onUnauthenticated;
    this.el = h(
      'section',
      { class: 'panel device-panel' },
      h('header', { class: 'panel-head' }, h('div', {}, this.#title, this.#meta), this.#state),
      this.#body,
      this.#message,
    );
    this.#body.append(
      h('div', { class: 'readout' }, h('span', { class: 'readout-label' }, 'CPU'), this.#value, this.#valueAt),
      this.#chart.el,
      h('p', { class: 'hint' }, 'Total CPU use, last 15 minutes. New samples appear as the agent reports.'),
    );
    this.#setMessage(NO_DEVICE);
  }

  get deviceId(): string | null {
    return this.#device?.id ?? null;
  }

  /** Shows `device`, or an empty panel for null. Refetches only when the device changes. */
  show(device: DeviceView | null): void {
    const changed = device?.id !== this.#device?.id;
    this.#device = device;
    setText(this.#title, device ? device.name : 'No device selected');
    setText(this.#meta, device ? `${device.kind} · agent ${device.agentVersion ?? 'unknown'} · ${device.id}` : '');
    this.#body.hidden = !device;
    if (!changed) return;
    this.#generation += 1;
    this.#seriesId = null;
    this.#chart.reset([]);
    setText(this.#value, '—');
    setText(this.#valueAt, '');
    this.#setMessage(device ? null : NO_DEVICE);
    if (!device) {
      this.#stream.unsubscribe(SUBSCRIPTION);
      return;
    }
    this.#stream.subscribe(SUBSCRIPTION, `org.${this.#orgId}.site.*.device.${device.id}.metric.${CPU_METRIC}`);
    void this.#loadHistory();
  }

  /** Live samples from the stream; anything not this device's total CPU is ignored. */
  onSamples(samples: StreamSample[]): void {
    const device = this.#device;
    if (!device) return;
    const mine = samples.filter((s) => s.deviceId === device.id && isHostCpu(s.metric, s.labels));
    if (mine.length === 0) return;
    const first = !this.#seriesId;
    this.#seriesId ??= mine[0]!.seriesId;
    this.#chart.append(mine);
    this.#showLatest();
    this.#setMessage(null);
    // The first sample of a device that had none when selected: pick up what came before it.
    if (first) void this.#loadHistory();
  }

  /** The stream reported a gap it could not replay: fill it from history. */
  onReconnected(): void {
    void this.#loadHistory();
  }

  onStreamState(state: StreamState, retryInMs?: number): void {
    this.#state.dataset['state'] = state;
    const text =
      state === 'live'
        ? 'Live'
        : state === 'connecting'
          ? 'Connecting…'
          : state === 'closed'
            ? 'Offline'
            : retryInMs === undefined
              ? 'Reconnecting…'
              : `Reconnecting in ${Math.max(1, Math.round(retryInMs / 1000))} s`;
    setText(this.#state, text);
  }

  /** Called every second: slides the chart window. */
  tick(now = Date.now()): void {
    this.#chart.tick(now);
  }

  destroy(): void {
    this.#chart.destroy();
  }

  async #loadHistory(): Promise<void> {
    const generation = this.#generation;
    const device = this.#device;
    if (!device) return;
    try {
      if (!this.#seriesId) {
        const latest = await api.latest(device.id, this.#signal);
        if (generation !== this.#generation) return;
        const cpu = latest.find((v) => isHostCpu(v.metric, v.labels));
        if (!cpu) {
          this.#setMessage('This device has not reported CPU use yet.');
          return;
        }
        this.#seriesId ??= cpu.seriesId;
      }
      const to = Date.now();
      const history = await api.history(this.#seriesId, to - WINDOW_MS, to, this.#signal);
      if (generation !== this.#generation) return;
      this.#chart.append(history.points);
      this.#showLatest();
    } catch (err) {
      if (generation !== this.#generation || this.#signal.aborted) return;
      if (isUnauthenticated(err)) this.#onUnauthenticated();
      else this.#setMessage(`Could not load CPU history: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #showLatest(): void {
    const last = this.#chart.points.last;
    if (!last) return;
    setText(this.#value, percent(last.value));
    setText(this.#valueAt, `at ${clock(last.ts)}`);
  }

  #setMessage(text: string | null): void {
    this.#message.hidden = text === null;
    setText(this.#message, text ?? '');
  }
}
