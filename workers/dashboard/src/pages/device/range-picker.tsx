import { useState } from 'preact/hooks';
import { DEFAULT_RANGE, PRESETS, type Preset, type RangeSpec } from './ranges.ts';

/** `datetime-local` value (local time, minutes) of an epoch ms, and back. */
const toLocalInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
const fromLocalInput = (value: string) => new Date(value).getTime();

export interface RangePickerProps {
  range: RangeSpec;
  onChange(range: RangeSpec): void;
  /** The preset buttons; the device page's by default (the point history adds longer ones). */
  presets?: readonly Preset[];
}

/** The presets (live 15 min … 1 y, or `presets`), a custom range, and "back to live" after a zoom. */
export function RangePicker({ range, onChange, presets = PRESETS }: RangePickerProps) {
  const [custom, setCustom] = useState<{ from: string; to: string; error?: string } | null>(null);
  const active = range.kind === 'preset' ? range.preset.id : 'custom';

  const openCustom = () => {
    const now = Date.now();
    const from = range.kind === 'custom' ? range.from : now - (range.kind === 'preset' ? range.preset.ms : 3_600_000);
    const to = range.kind === 'custom' ? range.to : now;
    setCustom({ from: toLocalInput(from), to: toLocalInput(to) });
  };
  const applyCustom = (e: Event) => {
    e.preventDefault();
    if (!custom) return;
    const from = fromLocalInput(custom.from);
    const to = fromLocalInput(custom.to);
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
      setCustom({ ...custom, error: 'The start must be before the end.' });
      return;
    }
    setCustom(null);
    onChange({ kind: 'custom', from, to });
  };

  return (
    <div class="range-picker" data-testid="range-picker">
      <div class="range-buttons" role="group" aria-label="Time range">
        {presets.map((p) => (
          <button
            type="button"
            key={p.id}
            class="range-button"
            aria-pressed={active === p.id}
            data-testid={`range-${p.id}`}
            onClick={() => onChange({ kind: 'preset', preset: p })}
          >
            {p.label}
          </button>
        ))}
        <button
          type="button"
          class="range-button"
          aria-pressed={active === 'custom'}
          aria-expanded={custom !== null}
          data-testid="range-custom"
          onClick={openCustom}
        >
          Custom
        </button>
        {range.kind === 'custom' && (
          <button
            type="button"
            class="primary"
            data-testid="back-to-live"
            onClick={() => onChange({ kind: 'preset', preset: PRESETS.find((p) => p.id === DEFAULT_RANGE)! })}
          >
            Back to live
          </button>
        )}
      </div>
      {custom && (
        <form class="range-custom" onSubmit={applyCustom}>
          <label>
            From
            <input
              type="datetime-local"
              value={custom.from}
              onInput={(e) => setCustom({ ...custom, from: e.currentTarget.value })}
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              value={custom.to}
              onInput={(e) => setCustom({ ...custom, to: e.currentTarget.value })}
            />
          </label>
          <button type="submit" class="primary">
            Show
          </button>
          <button type="button" class="device-secondary" onClick={() => setCustom(null)}>
            Cancel
          </button>
          {custom.error && (
            <p class="form-error" role="alert">
              {custom.error}
            </p>
          )}
        </form>
      )}
    </div>
  );
}
