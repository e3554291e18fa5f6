/** The "Remove" button of one row of a trend log's entry list (registers, BACnet objects). */
export function RemoveRow(props: { label: string; onRemove(): void }) {
  return (
    <button type="button" class="device-secondary" onClick={props.onRemove} aria-label={props.label}>
      Remove
    </button>
  );
}

/** The button under an entry list that adds a row. */
export function AddRow(props: { text: string; testId: string; onAdd(): void }) {
  return (
    <div>
      <button type="button" class="device-secondary" onClick={props.onAdd} data-testid={props.testId}>
        {props.text}
      </button>
    </div>
  );
}
