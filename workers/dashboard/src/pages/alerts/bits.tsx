import { useEffect, useState } from 'preact/hooks';
import type { AlertSeverity, IncidentState } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { api } from '../../api.ts';
import type { Access } from '../../app/access.ts';
import { fieldMatches, type FormError } from '../device/field-error.ts';

/** A date and time in the viewer's locale; "—" for none. */
export const when = (ts: number | null | undefined): string => (ts ? new Date(ts).toLocaleString() : '—');

export function StateBadge({ state }: { state: IncidentState }) {
  return (
    <span class={`badge incident-${state}`} data-testid="incident-state">
      {state}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return (
    <span class={`severity severity-${severity}`} data-testid="incident-severity">
      {severity}
    </span>
  );
}

/** A message without the `field: ` the API starts it with, for showing beside that field. */
export const withoutField = (e: FormError): string =>
  e.field && e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message;

/** The API's (or the form's own) message beside the input whose dotted path it names. */
export function FieldError({ error, field, id }: { error: FormError | null; field: string; id?: string }) {
  if (!fieldMatches(error, field)) return null;
  return (
    <span class="field-error" id={id} role="alert" data-testid={`error-${field}`}>
      {withoutField(error!)}
    </span>
  );
}

/** An error that names no field the form has an input for (so none shows it), under the form. */
export function LeftoverError({ error, shown }: { error: FormError | null; shown: readonly string[] }) {
  if (!error || (error.field && shown.some((f) => fieldMatches(error, f)))) return null;
  return (
    <p class="form-error" role="alert" data-testid="form-error">
      {error.field && !error.message.startsWith(`${error.field}: `)
        ? `${error.field}: ${error.message}`
        : error.message}
    </p>
  );
}

const TABS: { href: string; label: string; page: string; show(a: Access): boolean }[] = [
  { href: '/alerts', label: 'Incidents', page: 'incidents', show: () => true },
  { href: '/alerts/rules', label: 'Rules', page: 'rules', show: () => true },
  { href: '/silences', label: 'Silences', page: 'silences', show: () => true },
  { href: '/webhooks', label: 'Webhooks', page: 'webhooks', show: (a) => a.can('notifications.manage') },
];

/** The alert pages' own navigation: incidents, rules, silences, channels. */
export function AlertsTabs({ current, access }: { current: string; access: Access }) {
  return (
    <nav class="alerts-tabs" aria-label="Alert pages">
      {TABS.filter((t) => t.show(access)).map((t) => (
        <a key={t.page} href={t.href} aria-current={t.page === current ? 'page' : undefined}>
          {t.label}
        </a>
      ))}
    </nav>
  );
}

/** Every device of the organisation (for pickers and names); null while loading, [] if that failed. */
export function useDevices(): DeviceView[] | null {
  const [devices, setDevices] = useState<DeviceView[] | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    api.allDevices(ctl.signal).then(setDevices, () => {
      if (!ctl.signal.aborted) setDevices([]);
    });
    return () => ctl.abort();
  }, []);
  return devices;
}

/** A device's name when it is known, else its id. */
export const deviceName = (devices: readonly DeviceView[] | null, id: string): string =>
  devices?.find((d) => d.id === id)?.name ?? id;

/** `{mount="/", fs="ext4"}` of a series' labels; '' for none. */
export const labelsText = (labels: Record<string, string>): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(', ')}}` : '';
};
