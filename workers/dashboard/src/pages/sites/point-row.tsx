import { useState } from 'preact/hooks';
import { errorMessage } from '../../page-state.ts';
import { at } from './bits.tsx';
import type { PointPatch, PointView } from './api.ts';
import { rangeText, unitOf, valueText } from './point-units.ts';

/** A row of the points table: a point of one controller, with its live value when one came. */
export interface PointRowData extends PointView {
  controllerId: string;
  controller: string;
  serial: number;
}

/**
 * One point: label, live value with its unit, auto/manual, analog/digital, range, and a link
 * to its history. Members edit its label and unit in place.
 */
export function PointRow(props: {
  row: PointRowData;
  siteId: string;
  showController: boolean;
  canWrite: boolean;
  onSave(patch: PointPatch): Promise<unknown>;
}) {
  const { row } = props;
  const [editing, setEditing] = useState<{ label: string; unit: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = `${row.controllerId}-${row.point}`;
  const save = (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    setBusy(true);
    setError(null);
    const patch = { point: row.point, label: editing.label.trim() || null, unit: editing.unit.trim() || null };
    props
      .onSave(patch)
      .then(
        () => setEditing(null),
        (err: unknown) => setError(errorMessage(err)),
      )
      .finally(() => setBusy(false));
  };
  const history = `/sites/${encodeURIComponent(props.siteId)}/points/${encodeURIComponent(row.controllerId)}/${row.point}`;
  return (
    <tr data-testid="point-row" data-point={row.point} data-controller={row.controllerId} data-type={row.pointType}>
      {props.showController && <td>{row.controller}</td>}
      <td>
        <a href={history} data-testid="point-history-link" title="History">
          {row.point}
        </a>
      </td>
      <td data-testid="point-label">
        {editing ? (
          <form class="point-edit" id={`edit-${id}`} onSubmit={save}>
            <label class="visually-hidden" for={`label-${id}`}>
              Label of {row.point}
            </label>
            <input
              id={`label-${id}`}
              value={editing.label}
              maxLength={100}
              onInput={(e) => setEditing({ ...editing, label: e.currentTarget.value })}
              data-testid="point-label-input"
            />
            <label class="visually-hidden" for={`unit-${id}`}>
              Unit of {row.point}
            </label>
            <input
              id={`unit-${id}`}
              class="point-unit-input"
              value={editing.unit}
              maxLength={20}
              placeholder={unitOf({ ...row, unit: null }) || 'unit'}
              onInput={(e) => setEditing({ ...editing, unit: e.currentTarget.value })}
              data-testid="point-unit-input"
            />
            {error && (
              <span class="field-error" role="alert">
                {error}
              </span>
            )}
          </form>
        ) : (
          (row.label ?? '')
        )}
      </td>
      <td class="num" data-testid="point-value" title={row.ts ? `read ${at(row.ts)}` : undefined}>
        {valueText(row, row.value)}
      </td>
      <td data-testid="point-mode">{row.autoManual ?? '—'}</td>
      <td data-testid="point-kind">{row.analogDigital ?? '—'}</td>
      <td data-testid="point-range">{rangeText(row)}</td>
      {props.canWrite && (
        <td class="actions">
          {editing ? (
            <>
              <button type="submit" form={`edit-${id}`} class="primary" disabled={busy} data-testid="point-save">
                Save
              </button>{' '}
              <button type="button" class="device-secondary" onClick={() => setEditing(null)}>
                Cancel
              </button>
            </>
          ) : (
            <button
              type="button"
              class="device-secondary"
              onClick={() => setEditing({ label: row.label ?? '', unit: row.unit ?? '' })}
              data-testid="point-edit"
              aria-label={`Edit ${row.point}`}
            >
              Edit
            </button>
          )}
        </td>
      )}
    </tr>
  );
}
