import type { DeviceView } from '../../../schema/wire/telemetry.ts';
import { api, isUnauthenticated, type Me } from './api.ts';
import { DeviceList } from './device-list.ts';
import { DevicePanel } from './device-panel.ts';
import { h, setText } from './dom.ts';
import { clock } from './format.ts';
import { openStream } from './stream.ts';

const REFRESH_MS = 10_000;

export interface DashboardView {
  el: HTMLElement;
  /** Stops timers and the stream; the caller removes `el`. */
  destroy(): void;
}

/** Picks the device named in the URL, else the first online one, else the first. */
export function defaultSelection(devices: DeviceView[], wanted: string | null): DeviceView | null {
  return devices.find((d) => d.id === wanted) ?? devices.find((d) => d.status === 'online') ?? devices[0] ?? null;
}

const hashDevice = () => new URLSearchParams(location.hash.slice(1)).get('device');

/**
 * The devices page: fleet table (refreshed every 10 s) and the selected device's live panel.
 * The header around it is the app shell's. `onSignedOut` runs when the session turns out to
 * be gone.
 */
export function dashboardView(me: Me, onSignedOut: (notice?: string) => void): DashboardView {
  let destroyed = false;
  // Cancels requests in flight when the view goes, so none is answered 401 after sign-out.
  const aborter = new AbortController();
  const timers: ReturnType<typeof setInterval>[] = [];

  const stream = openStream({
    onSamples: (samples) => panel.onSamples(samples),
    onState: (state, retryInMs) => panel.onStreamState(state, retryInMs),
    // After a resumed reconnect nothing was missed; only a gap (or a refused resume) needs a refetch.
    onGap: () => panel.onReconnected(),
    onServerError: (code, message) => console.warn(`stream: ${code}: ${message}`),
    onUnauthorised: () => sessionEnded(),
  });

  const sessionEnded = () => {
    if (destroyed) return;
    view.destroy();
    onSignedOut('Your session has ended. Sign in again.');
  };

  const panel = new DevicePanel({ stream, orgId: me.orgId, signal: aborter.signal, onUnauthenticated: sessionEnded });
  const list = new DeviceList((device) => select(device));
  const status = h('p', { class: 'list-status', role: 'status', 'data-testid': 'list-status' }, 'Loading devices…');

  function select(device: DeviceView | null): void {
    list.select(device?.id ?? null);
    panel.show(device);
    const hash = device ? `#device=${encodeURIComponent(device.id)}` : '';
    if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname);
  }

  async function refresh(): Promise<void> {
    try {
      const devices = await api.devices(aborter.signal);
      if (destroyed) return;
      list.update(devices);
      setText(status, `${devices.length} device${devices.length === 1 ? '' : 's'} · updated ${clock(Date.now())}`);
      status.classList.remove('error');
      const current = devices.find((d) => d.id === panel.deviceId);
      select(current ?? defaultSelection(devices, hashDevice()));
    } catch (err) {
      if (destroyed) return;
      if (isUnauthenticated(err)) return sessionEnded();
      setText(status, `Could not refresh devices: ${err instanceof Error ? err.message : String(err)}`);
      status.classList.add('error');
    }
  }

  const onHashChange = () => {
    const device = list.devices.find((d) => d.id === hashDevice());
    if (device) select(device);
  };
  window.addEventListener('hashchange', onHashChange);

  const el = h(
    'main',
    { class: 'layout' },
    h(
      'section',
      { class: 'panel fleet' },
      h('header', { class: 'panel-head' }, h('h2', {}, 'Devices'), status),
      list.el,
    ),
    panel.el,
  );

  timers.push(setInterval(() => void refresh(), REFRESH_MS));
  timers.push(
    setInterval(() => {
      const now = Date.now();
      list.tick(now);
      panel.tick(now);
    }, 1000),
  );
  void refresh();

  const view: DashboardView = {
    el,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      aborter.abort();
      for (const t of timers) clearInterval(t);
      window.removeEventListener('hashchange', onHashChange);
      stream.close();
      panel.destroy();
    },
  };
  return view;
}
