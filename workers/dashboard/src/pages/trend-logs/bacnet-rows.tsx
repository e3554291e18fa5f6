import { FieldError } from '../alerts/bits.tsx';
import { fieldMatches, type FormError } from '../device/field-error.ts';
import type { ControllerView } from '../sites/api.ts';
import { controllerName } from '../sites/bits.tsx';
import type { BacnetDraft } from './draft.ts';
import { AddRow, RemoveRow } from './row-buttons.tsx';

/**
 * BACnet objects the gateway reads (`presentValue`), each of a controller with a BACnet instance
 * (discovery reports it; by hand, `bacnetInstance` on the controller). A 400 naming
 * `bacnet.<i>.object` or `bacnet.<i>.controllerId` shows beside it.
 */
export function BacnetRows(props: {
  rows: readonly BacnetDraft[];
  controllers: readonly ControllerView[];
  error: FormError | null;
  disabled: boolean;
  onChange(rows: BacnetDraft[]): void;
}) {
  const { rows, error } = props;
  const set = (i: number, change: Partial<BacnetDraft>) =>
    props.onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  if (rows.length === 0 && props.controllers.length === 0) return null;
  return (
    <fieldset class="rows" data-testid="bacnet-rows">
      <legend>BACnet objects ({rows.length})</legend>
      <FieldError error={error} field="bacnet" />
      {rows.map((r, i) => {
        const id = (f: string) => `bacnet-${i}-${f}`;
        return (
          <div class="register-row" key={i} data-testid="bacnet-row" role="group" aria-label={`BACnet object ${i + 1}`}>
            <label for={id('controller')}>
              Controller
              <select
                id={id('controller')}
                value={r.controllerId}
                disabled={props.disabled}
                aria-invalid={fieldMatches(error, `bacnet.${i}.controllerId`)}
                onChange={(e) => set(i, { controllerId: e.currentTarget.value })}
              >
                {props.controllers.map((c) => (
                  <option key={c.id} value={c.id}>
                    {controllerName(c)} (device {c.bacnetInstance})
                  </option>
                ))}
                {!props.controllers.some((c) => c.id === r.controllerId) && (
                  <option value={r.controllerId}>{r.controllerId}</option>
                )}
              </select>
              <FieldError error={error} field={`bacnet.${i}.controllerId`} />
            </label>
            <label for={id('object')}>
              Object
              <input
                id={id('object')}
                value={r.object}
                placeholder="analog-input:1"
                disabled={props.disabled}
                aria-invalid={fieldMatches(error, `bacnet.${i}.object`)}
                onInput={(e) => set(i, { object: e.currentTarget.value })}
                data-testid="bacnet-object"
              />
              <FieldError error={error} field={`bacnet.${i}.object`} />
            </label>
            {!props.disabled && (
              <RemoveRow
                label={`Remove BACnet object ${i + 1}`}
                onRemove={() => props.onChange(rows.filter((_, j) => j !== i))}
              />
            )}
          </div>
        );
      })}
      {!props.disabled && props.controllers.length > 0 && (
        <AddRow
          text="Add a BACnet object"
          testId="bacnet-add"
          onAdd={() => props.onChange([...rows, { controllerId: props.controllers[0]!.id, object: '' }])}
        />
      )}
    </fieldset>
  );
}
