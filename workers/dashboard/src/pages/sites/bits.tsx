import type { ControllerStatus } from './api.ts';

/** The site pages' own navigation: sites and trend logs. */
export function SitesTabs({ current }: { current: 'sites' | 'trend-logs' }) {
  return (
    <nav class="alerts-tabs" aria-label="Building pages">
      <a href="/sites" aria-current={current === 'sites' ? 'page' : undefined}>
        Sites
      </a>
      <a href="/trend-logs" aria-current={current === 'trend-logs' ? 'page' : undefined}>
        Trend logs
      </a>
    </nav>
  );
}

const BADGE: Record<ControllerStatus, string> = { online: 'online', offline: 'offline', unknown: 'stale' };

/** A controller's status as a badge (the fleet's colours: unknown shows as stale). */
export function StatusBadge({ status }: { status: ControllerStatus }) {
  return (
    <span class={`badge badge-${BADGE[status]}`} data-testid="controller-status" data-status={status}>
      {status}
    </span>
  );
}

/** A date and time in the viewer's locale; "never" for none. */
export const at = (ts: number | null): string => (ts ? new Date(ts).toLocaleString() : 'never');

/** A controller's name: its label, else its panel name, else its serial number. */
export const controllerName = (c: { label: string | null; panelName: string | null; serial: number }): string =>
  c.label ?? c.panelName ?? `#${c.serial}`;
