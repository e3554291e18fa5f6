import type { ComponentChildren } from 'preact';
import { FieldError } from '../alerts/bits.tsx';
import { fieldMatches, type FormError } from '../device/field-error.ts';
import type { ControllerView } from '../sites/api.ts';
import { controllerName } from '../sites/bits.tsx';
import { BYTE_ORDERS, DATA_TYPES, emptyRegister, REGISTERS, type RegisterDraft } from './draft.ts';
import { AddRow, RemoveRow } from './row-buttons.tsx';

/** One labelled select or input of a register row, with the API's error for its path. */
function Cell(props: {
  label: string;
  id: string;
  path: string;
  error: FormError | null;
  children: (invalid: boolean) => ComponentChildren;
}) {
  const invalid = fieldMatches(props.error, props.path);
  return (
    <label for={props.id}>
      {props.label}
      {props.children(invalid)}
      <FieldError error={props.error} field={props.path} />
    </label>
  );
}

/**
 * Raw Modbus registers, Telegraf-style rows (register, address, type, byte order, scale, name),
 * each of a controller of the site. A 400 naming `registers.<i>.spec.<field>` shows beside it.
 */
export function RegisterRows(props: {
  rows: readonly RegisterDraft[];
  controllers: readonly ControllerView[];
  error: FormError | null;
  disabled: boolean;
  onChange(rows: RegisterDraft[]): void;
}) {
  const { rows, error } = props;
  const set = (i: number, change: Partial<RegisterDraft>) =>
    props.onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <fieldset class="rows" data-testid="register-rows">
      <legend>Raw registers ({rows.length})</legend>
      <FieldError error={error} field="registers" />
      {rows.map((r, i) => {
        const base = `registers.${i}`;
        const id = (f: string) => `register-${i}-${f}`;
        const word = r.register === 'holding' || r.register === 'input';
        return (
          <div class="register-row" key={i} data-testid="register-row" role="group" aria-label={`Register ${i + 1}`}>
            <Cell label="Controller" id={id('controller')} path={`${base}.controllerId`} error={error}>
              {(invalid) => (
                <select
                  id={id('controller')}
                  value={r.controllerId}
                  disabled={props.disabled}
                  aria-invalid={invalid}
                  onChange={(e) => set(i, { controllerId: e.currentTarget.value })}
                >
                  {props.controllers.map((c) => (
                    <option key={c.id} value={c.id}>
                      {controllerName(c)}
                    </option>
                  ))}
                </select>
              )}
            </Cell>
            <Cell label="Register" id={id('register')} path={`${base}.spec.register`} error={error}>
              {(invalid) => (
                <select
                  id={id('register')}
                  value={r.register}
                  disabled={props.disabled}
                  aria-invalid={invalid}
                  onChange={(e) => set(i, { register: e.currentTarget.value as RegisterDraft['register'] })}
                  data-testid="register-table"
                >
                  {REGISTERS.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              )}
            </Cell>
            <Cell label="Address" id={id('address')} path={`${base}.spec.address`} error={error}>
              {(invalid) => (
                <input
                  id={id('address')}
                  inputMode="numeric"
                  size={6}
                  value={r.address}
                  disabled={props.disabled}
                  aria-invalid={invalid}
                  onInput={(e) => set(i, { address: e.currentTarget.value })}
                  data-testid="register-address"
                />
              )}
            </Cell>
            {word && (
              <Cell label="Type" id={id('type')} path={`${base}.spec.type`} error={error}>
                {(invalid) => (
                  <select
                    id={id('type')}
                    value={r.type}
                    disabled={props.disabled}
                    aria-invalid={invalid}
                    onChange={(e) => set(i, { type: e.currentTarget.value as RegisterDraft['type'] })}
                    data-testid="register-type"
                  >
                    {DATA_TYPES.map((t) => (
                      <option key={t}>{t}</option>
                    ))}
                  </select>
                )}
              </Cell>
            )}
            {word && (
              <Cell label="Byte order" id={id('order')} path={`${base}.spec.byteOrder`} error={error}>
                {(invalid) => (
                  <select
                    id={id('order')}
                    value={r.byteOrder}
                    disabled={props.disabled}
                    aria-invalid={invalid}
                    onChange={(e) => set(i, { byteOrder: e.currentTarget.value as RegisterDraft['byteOrder'] })}
                  >
                    <option value="">default (ABCD)</option>
                    {BYTE_ORDERS.map((o) => (
                      <option key={o}>{o}</option>
                    ))}
                  </select>
                )}
              </Cell>
            )}
            <Cell label="Scale" id={id('scale')} path={`${base}.spec.scale`} error={error}>
              {(invalid) => (
                <input
                  id={id('scale')}
                  inputMode="decimal"
                  size={6}
                  value={r.scale}
                  placeholder="1"
                  disabled={props.disabled}
                  aria-invalid={invalid}
                  onInput={(e) => set(i, { scale: e.currentTarget.value })}
                />
              )}
            </Cell>
            <Cell label="Name" id={id('name')} path={`${base}.spec.name`} error={error}>
              {(invalid) => (
                <input
                  id={id('name')}
                  value={r.name}
                  placeholder="supply_flow"
                  maxLength={64}
                  disabled={props.disabled}
                  aria-invalid={invalid}
                  onInput={(e) => set(i, { name: e.currentTarget.value })}
                  data-testid="register-name"
                />
              )}
            </Cell>
            {!props.disabled && (
              <RemoveRow
                label={`Remove register ${i + 1}`}
                onRemove={() => props.onChange(rows.filter((_, j) => j !== i))}
              />
            )}
          </div>
        );
      })}
      {!props.disabled && props.controllers.length > 0 && (
        <AddRow
          text="Add a register"
          testId="register-add"
          onAdd={() => props.onChange([...rows, emptyRegister(props.controllers[0]!.id)])}
        />
      )}
    </fieldset>
  );
}
