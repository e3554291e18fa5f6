import type { Probe, ProcessWatch } from '../../../../../schema/wire/agent-config.ts';
import { fieldMatches, type FormError } from './field-error.ts';

/** The API's message beside the input whose path it names (e.g. `probes.0.url`). */
export function FieldError({ error, field }: { error: FormError | null; field: string }) {
  if (!error?.field || error.field !== field) return null;
  return (
    <span class="field-error" role="alert" data-testid={`error-${field}`}>
      {error.message}
    </span>
  );
}

interface ListProps<T> {
  items: T[];
  error: FormError | null;
  onChange(items: T[]): void;
}

const replace = <T,>(items: T[], i: number, item: T) => items.map((x, j) => (j === i ? item : x));
const num = (v: string): number => (v.trim() === '' ? Number.NaN : Number(v));

/** HTTP and TCP probes: one row each, removable; new rows start as HTTP. */
export function ProbesEditor({ items, error, onChange }: ListProps<Probe>) {
  return (
    <fieldset class="config-list" data-testid="probes">
      <legend>Probes</legend>
      {items.length === 0 && <p class="muted">No probes.</p>}
      {items.map((p, i) => (
        <div class="config-row" key={i} data-testid="probe-row">
          <label>
            Type
            <select
              value={p.type}
              onChange={(e) => {
                const type = e.currentTarget.value;
                onChange(
                  replace(
                    items,
                    i,
                    type === 'tcp'
                      ? { type: 'tcp', name: p.name, host: '', port: 443 }
                      : { type: 'http', name: p.name, url: 'https://' },
                  ),
                );
              }}
            >
              <option value="http">HTTP</option>
              <option value="tcp">TCP</option>
            </select>
          </label>
          <label>
            Name
            <input
              value={p.name}
              aria-invalid={fieldMatches(error, `probes.${i}.name`)}
              onInput={(e) => onChange(replace(items, i, { ...p, name: e.currentTarget.value }))}
            />
            <FieldError error={error} field={`probes.${i}.name`} />
          </label>
          {p.type === 'http' ? (
            <label class="wide">
              URL
              <input
                value={p.url}
                aria-invalid={fieldMatches(error, `probes.${i}.url`)}
                onInput={(e) => onChange(replace(items, i, { ...p, url: e.currentTarget.value }))}
              />
              <FieldError error={error} field={`probes.${i}.url`} />
            </label>
          ) : (
            <>
              <label>
                Host
                <input
                  value={p.host}
                  aria-invalid={fieldMatches(error, `probes.${i}.host`)}
                  onInput={(e) => onChange(replace(items, i, { ...p, host: e.currentTarget.value }))}
                />
                <FieldError error={error} field={`probes.${i}.host`} />
              </label>
              <label>
                Port
                <input
                  inputMode="numeric"
                  value={Number.isNaN(p.port) ? '' : String(p.port)}
                  aria-invalid={fieldMatches(error, `probes.${i}.port`)}
                  onInput={(e) => onChange(replace(items, i, { ...p, port: num(e.currentTarget.value) }))}
                />
                <FieldError error={error} field={`probes.${i}.port`} />
              </label>
            </>
          )}
          <button
            type="button"
            class="device-secondary"
            aria-label={`Remove probe ${p.name || i + 1}`}
            onClick={() => onChange(items.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="device-secondary"
        data-testid="add-probe"
        onClick={() => onChange([...items, { type: 'http', name: '', url: 'https://' }])}
      >
        Add probe
      </button>
    </fieldset>
  );
}

/** Watched process groups: a name and what the command line must contain (or `/regex/`). */
export function ProcessesEditor({ items, error, onChange }: ListProps<ProcessWatch>) {
  return (
    <fieldset class="config-list" data-testid="processes">
      <legend>Watched processes</legend>
      {items.length === 0 && <p class="muted">No watched processes.</p>}
      {items.map((p, i) => (
        <div class="config-row" key={i} data-testid="process-row">
          <label>
            Name
            <input
              value={p.name}
              aria-invalid={fieldMatches(error, `processes.${i}.name`)}
              onInput={(e) => onChange(replace(items, i, { ...p, name: e.currentTarget.value }))}
            />
            <FieldError error={error} field={`processes.${i}.name`} />
          </label>
          <label class="wide">
            Command line contains (or /regex/)
            <input
              value={p.match}
              aria-invalid={fieldMatches(error, `processes.${i}.match`)}
              onInput={(e) => onChange(replace(items, i, { ...p, match: e.currentTarget.value }))}
            />
            <FieldError error={error} field={`processes.${i}.match`} />
          </label>
          <button
            type="button"
            class="device-secondary"
            aria-label={`Stop watching ${p.name || i + 1}`}
            onClick={() => onChange(items.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="device-secondary"
        data-testid="add-process"
        onClick={() => onChange([...items, { name: '', match: '' }])}
      >
        Add process
      </button>
    </fieldset>
  );
}
