import { useState } from 'preact/hooks';
import { TextField } from '../alerts/text-field.tsx';
import { FieldError, LeftoverError } from '../alerts/bits.tsx';
import { fieldMatches, type FormError } from '../device/field-error.ts';
import type { SiteBody, SiteView } from './api.ts';

const SHOWN = ['name', 'address', 'timeZone', 'discovery'];

/** The time zone the browser is in, a good first guess for a new site. */
const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** A site's form state, as text the inputs hold. */
interface Draft {
  name: string;
  address: string;
  timeZone: string;
  discoveryEnabled: boolean;
  intervalSeconds: string;
  targets: string;
}

const draftOf = (s: SiteView | null): Draft => ({
  name: s?.name ?? '',
  address: s?.address ?? '',
  timeZone: s?.timeZone ?? localZone(),
  discoveryEnabled: s?.discovery.enabled ?? true,
  intervalSeconds: String(s?.discovery.intervalSeconds ?? 600),
  targets: (s?.discovery.targets ?? []).map((t) => (t.port === 1234 ? t.host : `${t.host}:${t.port}`)).join(', '),
});

/** `host` or `host:port` (1234 by default), comma- or space-separated. */
function parseTargets(text: string): { host: string; port: number }[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((t) => {
      const m = /^(.*):(\d+)$/.exec(t);
      return m ? { host: m[1]!, port: Number(m[2]) } : { host: t, port: 1234 };
    });
}

/**
 * A site's name, address, time zone and (when editing) its gateways' discovery settings; the
 * API's field errors show beside their inputs. `site` null: a new site.
 */
export function SiteForm(props: {
  site: SiteView | null;
  busy: boolean;
  error: FormError | null;
  submitLabel: string;
  onSubmit(body: SiteBody): void;
}) {
  const [d, setD] = useState<Draft>(() => draftOf(props.site));
  const { error } = props;
  const editing = props.site !== null;
  const set = (change: Partial<Draft>) => setD({ ...d, ...change });
  const submit = (e: Event) => {
    e.preventDefault();
    const body: SiteBody = { name: d.name.trim(), address: d.address.trim() || null, timeZone: d.timeZone.trim() };
    if (editing) {
      body.discovery = {
        enabled: d.discoveryEnabled,
        intervalSeconds: Number(d.intervalSeconds),
        targets: parseTargets(d.targets),
      };
    }
    props.onSubmit(body);
  };
  return (
    <form class="alerts-form" noValidate onSubmit={submit} data-testid="site-form">
      <div class="row">
        <TextField
          label="Name"
          path="name"
          prefix="site"
          value={d.name}
          error={error}
          required
          maxLength={100}
          placeholder="Main building"
          onInput={(name) => set({ name })}
        />
        <TextField
          label="Time zone"
          path="timeZone"
          prefix="site"
          value={d.timeZone}
          error={error}
          placeholder="Europe/Zurich"
          hint="IANA zone"
          onInput={(timeZone) => set({ timeZone })}
        />
      </div>
      <div class="row">
        <TextField
          label="Address"
          path="address"
          prefix="site"
          value={d.address}
          error={error}
          wide
          maxLength={500}
          placeholder="Bahnhofstrasse 1, 8001 Zürich"
          onInput={(address) => set({ address })}
        />
      </div>
      {editing && (
        <fieldset class="rows">
          <legend>Discovery by the site's gateways</legend>
          <div class="row">
            <label class="inline">
              <input
                type="checkbox"
                checked={d.discoveryEnabled}
                onChange={(e) => set({ discoveryEnabled: e.currentTarget.checked })}
                data-testid="site-discovery-enabled"
              />{' '}
              Look for controllers
            </label>
            <TextField
              label="Every (seconds)"
              path="discovery.intervalSeconds"
              prefix="site"
              value={d.intervalSeconds}
              error={error}
              numeric
              hint="60 to 86400"
              onInput={(intervalSeconds) => set({ intervalSeconds })}
            />
          </div>
          <div class="row">
            <label class="wide" for="site-targets">
              Unicast targets (host or host:port; none: broadcast)
              <input
                id="site-targets"
                value={d.targets}
                placeholder="192.168.2.255, 10.0.0.7:1234"
                aria-invalid={fieldMatches(error, 'discovery.targets')}
                onInput={(e) => set({ targets: e.currentTarget.value })}
                data-testid="site-targets"
              />
              <FieldError error={error} field="discovery.targets" />
            </label>
          </div>
        </fieldset>
      )}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={props.busy} data-testid="site-save">
          {props.submitLabel}
        </button>
      </div>
      <LeftoverError error={error} shown={SHOWN} />
    </form>
  );
}
