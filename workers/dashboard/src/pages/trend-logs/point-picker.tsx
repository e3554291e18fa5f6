import { useState } from 'preact/hooks';
import type { T3PointType } from '../../../../../schema/wire/gateway.ts';
import { FieldError } from '../alerts/bits.tsx';
import type { FormError } from '../device/field-error.ts';
import type { ControllerView } from '../sites/api.ts';
import { controllerName } from '../sites/bits.tsx';
import { pickAll, pickedCounts, pointKey, pointsOfType, POINT_TYPES, togglePoint } from './draft.ts';

/** One controller's points of the type shown, with "all" and "none" for that type. */
function ControllerPoints(props: {
  controller: ControllerView;
  picked: readonly string[];
  disabled: boolean;
  onChange(picked: string[]): void;
}) {
  const { controller: c, picked } = props;
  const [type, setType] = useState<T3PointType>('IN');
  const counts = pickedCounts(picked, c.id);
  const have = new Set(picked);
  const name = controllerName(c);
  return (
    <fieldset class="picker-controller" data-testid="picker-controller" data-id={c.id}>
      <legend>
        {name}{' '}
        <span class="hint">
          (IN {counts.IN}, OUT {counts.OUT}, VAR {counts.VAR} picked)
        </span>
      </legend>
      <div class="row">
        <div class="range-buttons" role="group" aria-label={`Point type of ${name}`}>
          {POINT_TYPES.map((t) => (
            <button
              type="button"
              key={t}
              class="range-button"
              aria-pressed={type === t}
              onClick={() => setType(t)}
              data-testid={`picker-type-${t}`}
            >
              {t}
            </button>
          ))}
        </div>
        {!props.disabled && (
          <>
            <button
              type="button"
              class="device-secondary"
              onClick={() => props.onChange(pickAll(picked, c.id, type, true))}
              data-testid={`picker-all-${type}`}
            >
              All {type} points of {name}
            </button>
            <button
              type="button"
              class="device-secondary"
              onClick={() => props.onChange(pickAll(picked, c.id, type, false))}
              data-testid={`picker-none-${type}`}
            >
              No {type} points
            </button>
          </>
        )}
      </div>
      <div class="picker-points" role="group" aria-label={`${type} points of ${name}`}>
        {pointsOfType(type).map((p) => {
          const key = pointKey(c.id, p);
          return (
            <label key={p} class="inline">
              <input
                type="checkbox"
                checked={have.has(key)}
                disabled={props.disabled}
                onChange={(e) => props.onChange(togglePoint(picked, key, e.currentTarget.checked))}
                data-testid={`picker-point-${p}`}
              />{' '}
              {p}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

/** The trend log's T3 points, picked per controller of its site and by type. */
export function PointPicker(props: {
  controllers: readonly ControllerView[] | null;
  picked: readonly string[];
  error: FormError | null;
  disabled: boolean;
  onChange(picked: string[]): void;
}) {
  return (
    <fieldset class="rows" data-testid="point-picker">
      <legend>Points ({props.picked.length})</legend>
      <FieldError error={props.error} field="points" />
      {props.controllers === null ? (
        <p class="muted">Choose a site to pick its controllers' points.</p>
      ) : props.controllers.length === 0 ? (
        <p class="empty">The site has no controllers yet.</p>
      ) : (
        props.controllers.map((c) => (
          <ControllerPoints
            key={c.id}
            controller={c}
            picked={props.picked}
            disabled={props.disabled}
            onChange={props.onChange}
          />
        ))
      )}
    </fieldset>
  );
}
