import { TableHead } from '../../app/table-head.tsx';
import { RevokeButton } from '../../app/revoke-button.tsx';
import { useState } from 'preact/hooks';
import { enrollmentApi, type EnrollmentToken } from './api.ts';

const when = (ms: number | null) => (ms === null ? '—' : new Date(ms).toLocaleString());

/** Whether a token can still enroll a device. */
export const usable = (t: EnrollmentToken, now = Date.now()) =>
  t.revokedAt === null && t.expiresAt > now && (t.maxUses === null || t.uses < t.maxUses);

/** The organisation's enrollment tokens (no secrets), with a revoke button on usable ones. */
export function TokenList({ tokens, onChanged }: { tokens: EnrollmentToken[]; onChanged: () => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (tokens.length === 0) {
    return (
      <p class="empty" data-testid="tokens-empty">
        No enrollment tokens yet.
      </p>
    );
  }
  const revoke = (id: string) => {
    setBusy(id);
    setError(null);
    enrollmentApi
      .revoke(id)
      .then(onChanged, (err: unknown) => setError(err instanceof Error ? err.message : String(err)))
      .finally(() => setBusy(null));
  };
  return (
    <>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="table-scroll">
        <table class="tokens" data-testid="token-list">
          <TableHead columns={['Token', 'Kind', 'Uses', 'Expires', 'State']} />
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-testid="token-row" data-id={t.id}>
                <td>
                  <code>{t.id}</code>
                </td>
                <td>{t.kind}</td>
                <td>
                  {t.uses} / {t.maxUses ?? '∞'}
                </td>
                <td>{when(t.expiresAt)}</td>
                <td data-testid="token-state">
                  {t.revokedAt !== null ? 'revoked' : usable(t) ? 'usable' : 'used up or expired'}
                </td>
                <td>
                  {usable(t) && (
                    <RevokeButton
                      label={t.id}
                      testId="token-revoke"
                      disabled={busy === t.id}
                      onRevoke={() => revoke(t.id)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
