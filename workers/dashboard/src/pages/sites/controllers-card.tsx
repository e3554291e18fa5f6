import { useState } from 'preact/hooks';
import { TableHead } from '../../app/table-head.tsx';
import { FieldError, LeftoverError } from '../alerts/bits.tsx';
import { TextField } from '../alerts/text-field.tsx';
import { fieldMatches, formError, type FormError } from '../device/field-error.ts';
import { sitesApi, type ControllerBody, type ControllerView, type GatewaySummary } from './api.ts';
import { at, StatusBadge } from './bits.tsx';

const SHOWN = ['serial', 'label', 'ip', 'port', 'modbusId', 'gatewayDeviceId'];

/** Text inputs as numbers: '' is left out (the API's default), anything else goes as typed so the API names it. */
const num = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text));

function AddController(props: { siteId: string; gateways: readonly GatewaySummary[]; onAdded(): void }) {
  const blank = { serial: '', label: '', ip: '', port: '', modbusId: '', gatewayDeviceId: props.gateways[0]?.id ?? '' };
  const [d, setD] = useState(blank);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<typeof d>) => setD({ ...d, ...change });
  const submit = (e: Event) => {
    e.preventDefault();
    const body: ControllerBody = {
      serial: num(d.serial) ?? NaN,
      ip: d.ip.trim(),
      label: d.label.trim() || null,
      port: num(d.port),
      modbusId: num(d.modbusId),
      gatewayDeviceId: d.gatewayDeviceId || null,
    };
    setBusy(true);
    setError(null);
    sitesApi
      .addController(props.siteId, body)
      .then(
        () => {
          setD(blank);
          props.onAdded();
        },
        (err: unknown) => setError(formError(err)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <details class="add-controller">
      <summary data-testid="controller-add">Add a controller by hand</summary>
      <form class="alerts-form" noValidate onSubmit={submit} data-testid="controller-form">
        <p class="hint">
          For a controller discovery cannot reach, or any Modbus TCP device (give it a serial of your choosing).
        </p>
        <div class="row">
          <TextField
            label="Serial number"
            path="serial"
            prefix="controller"
            value={d.serial}
            error={error}
            numeric
            required
            onInput={(serial) => set({ serial })}
          />
          <TextField
            label="Label"
            path="label"
            prefix="controller"
            value={d.label}
            error={error}
            placeholder="AHU 1"
            onInput={(label) => set({ label })}
          />
        </div>
        <div class="row">
          <TextField
            label="IP address or host"
            path="ip"
            prefix="controller"
            value={d.ip}
            error={error}
            required
            placeholder="192.168.1.20"
            onInput={(ip) => set({ ip })}
          />
          <TextField
            label="Port"
            path="port"
            prefix="controller"
            value={d.port}
            error={error}
            numeric
            placeholder="502"
            onInput={(port) => set({ port })}
          />
          <TextField
            label="Modbus id"
            path="modbusId"
            prefix="controller"
            value={d.modbusId}
            error={error}
            numeric
            placeholder="1"
            onInput={(modbusId) => set({ modbusId })}
          />
          <label for="controller-gateway">
            Polled by
            <select
              id="controller-gateway"
              value={d.gatewayDeviceId}
              aria-invalid={fieldMatches(error, 'gatewayDeviceId')}
              onChange={(e) => set({ gatewayDeviceId: e.currentTarget.value })}
              data-testid="controller-gateway"
            >
              <option value="">no gateway yet</option>
              {props.gateways.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
            <FieldError error={error} field="gatewayDeviceId" />
          </label>
        </div>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy} data-testid="controller-save">
            Add controller
          </button>
        </div>
        <LeftoverError error={error} shown={SHOWN} />
      </form>
    </details>
  );
}

/** A site's controllers with their status (from the gateways' health samples); members add one. */
export function ControllersCard(props: {
  siteId: string;
  controllers: readonly ControllerView[];
  gateways: readonly GatewaySummary[];
  canWrite: boolean;
  onChanged(): void;
}) {
  const gatewayName = (id: string | null) =>
    id === null ? 'none' : (props.gateways.find((g) => g.id === id)?.name ?? id);
  return (
    <section class="card" aria-labelledby="controllers-title">
      <h2 id="controllers-title">Controllers</h2>
      {props.controllers.length === 0 ? (
        <p class="empty" data-testid="controllers-empty">
          No controllers yet: a gateway of the site finds T3 controllers on its network, or add one by hand.
        </p>
      ) : (
        <div class="table-scroll">
          <table class="grid" data-testid="controller-list">
            <TableHead
              columns={['Controller', 'Status', 'Last read', 'Address', 'Modbus id', 'Panel', 'Firmware', 'Gateway']}
              actions={false}
            />
            <tbody>
              {props.controllers.map((c) => (
                <tr key={c.id} data-testid="controller-row" data-id={c.id} data-serial={c.serial}>
                  <td>
                    <strong>{c.label ?? `#${c.serial}`}</strong>
                    {c.label && <div class="hint">#{c.serial}</div>}
                  </td>
                  <td>
                    <StatusBadge status={c.status} />
                  </td>
                  <td data-testid="controller-last-read">{at(c.lastReadAt)}</td>
                  <td>
                    <code>
                      {c.ip}:{c.port}
                    </code>
                  </td>
                  <td>{c.modbusId}</td>
                  <td>{[c.panelNumber, c.panelName].filter((x) => x !== null).join(' ') || '—'}</td>
                  <td>{c.firmware ?? '—'}</td>
                  <td>
                    {c.gatewayDeviceId ? (
                      <a href={`/devices/${encodeURIComponent(c.gatewayDeviceId)}`}>{gatewayName(c.gatewayDeviceId)}</a>
                    ) : (
                      'none'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.canWrite && <AddController siteId={props.siteId} gateways={props.gateways} onAdded={props.onChanged} />}
    </section>
  );
}
