/** The red "Revoke" button of a credential list (API keys, enrollment tokens). */
export function RevokeButton(props: { label: string; testId: string; disabled?: boolean; onRevoke(): void }) {
  return (
    <button
      type="button"
      class="danger"
      disabled={props.disabled}
      onClick={props.onRevoke}
      aria-label={`Revoke ${props.label}`}
      data-testid={props.testId}
    >
      Revoke
    </button>
  );
}
