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

/** A labelled input whose API error (by its dotted `path`) shows beside it. */
function TextField(props: {
  label: string;
  value: string;
  path: string;
  error: FormError | null;
  onInput(value: string): void;
  wide?: boolean;
  numeric?: boolean;
}) {
  return (
    <label class={props.wide ? 'wide' : undefined}>
      {props.label}
      <input
        value={props.value}
        inputMode={props.numeric ? 'numeric' : undefined}
        aria-invalid={fieldMatches(props.error, props.path)}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <FieldError error={props.error} field={props.path} />
    </label>
  );
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
          <TextField
            label="Name"
            value={p.name}
            path={`probes.${i}.name`}
            error={error}
            onInput={(v) => onChange(replace(items, i, { ...p, name: v }))}
          />
          {p.type === 'http' ? (
            <TextField
              label="URL"
              value={p.url}
              path={`probes.${i}.url`}
              error={error}
              onInput={(v) => onChange(replace(items, i, { ...p, url: v }))}
              wide
            />
          ) : (
            <>
              <TextField
                label="Host"
                value={p.host}
                path={`probes.${i}.host`}
                error={error}
                onInput={(v) => onChange(replace(items, i, { ...p, host: v }))}
              />
              <TextField
                label="Port"
                value={Number.isNaN(p.port) ? '' : String(p.port)}
                path={`probes.${i}.port`}
                error={error}
                onInput={(v) => onChange(replace(items, i, { ...p, port: num(v) }))}
                numeric
              />
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
          <TextField
            label="Name"
            value={p.name}
            path={`processes.${i}.name`}
            error={error}
            onInput={(v) => onChange(replace(items, i, { ...p, name: v }))}
          />
          <TextField
            label="Command line contains (or /regex/)"
            value={p.match}
            path={`processes.${i}.match`}
            error={error}
            onInput={(v) => onChange(replace(items, i, { ...p, match: v }))}
            wide
          />
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
