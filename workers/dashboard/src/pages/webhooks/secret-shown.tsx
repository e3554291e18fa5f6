import { CopyField } from '../add-host/copy-button.tsx';

/** A signing secret, shown this once with a copy button (the API keeps it encrypted and never shows it again). */
export function SecretShown(props: { name: string; secret: string; note?: string; onDone(): void }) {
  return (
    <div class="secret-shown" data-testid="webhook-secret-shown" role="status">
      <p>
        The signing secret of <strong>{props.name}</strong>, shown only now. Give it to the receiver so it can verify
        the <code>webhook-signature</code> header.{props.note ? ` ${props.note}` : ''}
      </p>
      <CopyField text={props.secret} label="Signing secret" testId="webhook-secret" />
      <button type="button" class="device-secondary" onClick={props.onDone}>
        Done
      </button>
    </div>
  );
}
