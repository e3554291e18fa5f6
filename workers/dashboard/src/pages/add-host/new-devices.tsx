import { useEffect, useState } from 'preact/hooks';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { enrollmentApi } from './api.ts';

const POLL_MS = 2000;

/**
 * Watches for devices that were not there when the token was made and shows them as they
 * enroll and come online, each linking to its page. Polls `GET /v1/devices`: a device that
 * has just enrolled has no live samples yet, and enrollment itself is not an event on the stream.
 * `onArrived` is called when another new device appears.
 */
export function NewDevices({ known, onArrived }: { known: Set<string>; onArrived?: () => void }) {
  const [fresh, setFresh] = useState<DeviceView[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      enrollmentApi.devices(ctl.signal).then(
        (all) => {
          setError(null);
          const next = all.filter((d) => !known.has(d.id));
          // A host enrolling used the token up: the caller refreshes its token list.
          setFresh((old) => {
            if (next.length !== old.length) onArrived?.();
            return next;
          });
          timer = setTimeout(tick, POLL_MS);
        },
        (err: unknown) => {
          if (ctl.signal.aborted) return;
          setError(err instanceof Error ? err.message : String(err));
          timer = setTimeout(tick, POLL_MS * 3);
        },
      );
    };
    tick();
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [known]);
  return (
    <section class="new-devices" aria-labelledby="new-devices-title" aria-live="polite">
      <h2 id="new-devices-title">New hosts</h2>
      {error && (
        <p class="form-error" role="alert">
          Could not check for new hosts: {error}
        </p>
      )}
      {fresh.length === 0 ? (
        <p class="muted waiting" data-testid="new-devices-waiting">
          Waiting for a host to enroll with this token…
        </p>
      ) : (
        <ul data-testid="new-devices">
          {fresh.map((d) => (
            <li key={d.id} data-testid="new-device" data-status={d.status}>
              <span class={`status-dot status-${d.status}`} aria-hidden="true" />
              <a href={`/devices/${encodeURIComponent(d.id)}`}>{d.name}</a> <span>{d.status}</span>
              {d.agentVersion && <span class="muted"> agent {d.agentVersion}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
