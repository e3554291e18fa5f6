import type { ComponentChildren } from 'preact';
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

/** Renders one text input of a row: its value by key, its API error by the path `<list>.<i>.<key>`. */
type FieldOf = (key: string, label: string, opts?: { wide?: boolean; numeric?: boolean }) => ComponentChildren;

/** A fieldset of removable rows and an "add" button: the frame both list editors share. */
function RowsEditor<T extends object>(p: {
  /** The config key of the list (`probes`), also its test id. */
  list: string;
  rowTestId: string;
  legend: string;
  empty: string;
  items: T[];
  error: FormError | null;
  onChange(items: T[]): void;
  row(item: T, set: (item: T) => void, field: FieldOf): ComponentChildren;
  removeLabel(item: T, i: number): string;
  add: { label: string; testId: string; item(): T };
}) {
  const { items, onChange, error } = p;
  return (
    <fieldset class="config-list" data-testid={p.list}>
      <legend>{p.legend}</legend>
      {items.length === 0 && <p class="muted">{p.empty}</p>}
      {items.map((item, i) => {
        const set = (next: T) => onChange(replace(items, i, next));
        const field: FieldOf = (key, label, opts = {}) => {
          const value: unknown = (item as Record<string, unknown>)[key];
          const path = `${p.list}.${i}.${key}`;
          return (
            <label class={opts.wide ? 'wide' : undefined}>
              {label}
              <input
                value={typeof value === 'number' && Number.isNaN(value) ? '' : String(value ?? '')}
                inputMode={opts.numeric ? 'numeric' : undefined}
                aria-invalid={fieldMatches(error, path)}
                onInput={(e) => {
                  const v = e.currentTarget.value;
                  set({ ...item, [key]: opts.numeric ? num(v) : v });
                }}
              />
              <FieldError error={error} field={path} />
            </label>
          );
        };
        return (
          <div class="config-row" key={i} data-testid={p.rowTestId}>
            {p.row(item, set, field)}
            <button
              type="button"
              class="device-secondary"
              aria-label={p.removeLabel(item, i)}
              onClick={() => onChange(items.filter((_, j) => j !== i))}
            >
              Remove
            </button>
          </div>
        );
      })}
      <button
        type="button"
        class="device-secondary"
        data-testid={p.add.testId}
        onClick={() => onChange([...items, p.add.item()])}
      >
        {p.add.label}
      </button>
    </fieldset>
  );
}

/** HTTP and TCP probes: one row each, removable; new rows start as HTTP. */
export function ProbesEditor({ items, error, onChange }: ListProps<Probe>) {
  return (
    <RowsEditor
      list="probes"
      rowTestId="probe-row"
      legend="Probes"
      empty="No probes."
      items={items}
      error={error}
      onChange={onChange}
      removeLabel={(p, i) => `Remove probe ${p.name || i + 1}`}
      add={{
        label: 'Add probe',
        testId: 'add-probe',
        item: (): Probe => ({ type: 'http', name: '', url: 'https://' }),
      }}
      row={(p, set, field) => (
        <>
          <label>
            Type
            <select
              value={p.type}
              onChange={(e) =>
                set(
                  e.currentTarget.value === 'tcp'
                    ? { type: 'tcp', name: p.name, host: '', port: 443 }
                    : { type: 'http', name: p.name, url: 'https://' },
                )
              }
            >
              <option value="http">HTTP</option>
              <option value="tcp">TCP</option>
            </select>
          </label>
          {field('name', 'Name')}
          {p.type === 'http' ? (
            field('url', 'URL', { wide: true })
          ) : (
            <>
              {field('host', 'Host')}
              {field('port', 'Port', { numeric: true })}
            </>
          )}
        </>
      )}
    />
  );
}

/** Watched process groups: a name and what the command line must contain (or `/regex/`). */
export function ProcessesEditor({ items, error, onChange }: ListProps<ProcessWatch>) {
  return (
    <RowsEditor
      list="processes"
      rowTestId="process-row"
      legend="Watched processes"
      empty="No watched processes."
      items={items}
      error={error}
      onChange={onChange}
      removeLabel={(p, i) => `Stop watching ${p.name || i + 1}`}
      add={{ label: 'Add process', testId: 'add-process', item: () => ({ name: '', match: '' }) }}
      row={(_p, _set, field) => (
        <>
          {field('name', 'Name')}
          {field('match', 'Command line contains (or /regex/)', { wide: true })}
        </>
      )}
    />
  );
}
