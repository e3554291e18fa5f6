import { useState } from 'preact/hooks';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { deviceApi } from './api.ts';
import { fieldMatches, formError, type FormError } from './field-error.ts';

export interface SettingsFormProps {
  device: DeviceView;
  onSaved(device: DeviceView): void;
  onDeleted(): void;
}

const parseTags = (text: string) =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** Rename, move to a site, tag, and delete (after a confirmation in the page, not a dialog). */
export function SettingsForm({ device, onSaved, onDeleted }: SettingsFormProps) {
  const [name, setName] = useState(device.name);
  const [site, setSite] = useState(device.siteId ?? '');
  const [tags, setTags] = useState(device.tags.join(', '));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const next = await deviceApi.update(device.id, {
        name: name.trim(),
        siteId: site.trim() || null,
        tags: parseTags(tags),
      });
      setSaved(true);
      onSaved(next);
    } catch (err) {
      setError(formError(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await deviceApi.remove(device.id);
      onDeleted();
    } catch (err) {
      setError(formError(err));
      setBusy(false);
    }
  };
  const fieldError = (field: string) =>
    fieldMatches(error, field) ? (
      <span class="field-error" id={`device-${field}-error`} role="alert">
        {error!.message}
      </span>
    ) : null;

  return (
    <section class="card device-settings" aria-labelledby="device-settings-title" data-testid="device-settings">
      <h2 id="device-settings-title">Device settings</h2>
      <form onSubmit={save} class="settings-grid">
        <label>
          Name
          <input
            data-testid="settings-name"
            value={name}
            required
            maxLength={200}
            aria-invalid={fieldMatches(error, 'name')}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          {fieldError('name')}
        </label>
        <label>
          Site id
          <input
            data-testid="settings-site"
            value={site}
            placeholder="none"
            aria-invalid={fieldMatches(error, 'siteId')}
            onInput={(e) => setSite(e.currentTarget.value)}
          />
          {fieldError('siteId')}
        </label>
        <label>
          Tags (comma-separated)
          <input
            data-testid="settings-tags"
            value={tags}
            aria-invalid={fieldMatches(error, 'tags')}
            onInput={(e) => setTags(e.currentTarget.value)}
          />
          {fieldError('tags')}
        </label>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy} data-testid="settings-save">
            Save
          </button>
          {saved && <span role="status">Saved.</span>}
        </div>
      </form>
      {error && !error.field && (
        <p class="form-error" role="alert">
          {error.message}
        </p>
      )}
      <div class="danger-zone">
        {confirming ? (
          <div role="group" aria-label="Confirm deletion">
            <p>
              Delete <strong>{device.name}</strong> with all its series and history? Its token stops working at once.
            </p>
            <button
              type="button"
              class="danger"
              disabled={busy}
              data-testid="delete-confirm"
              onClick={() => void remove()}
            >
              Delete for good
            </button>
            <button type="button" class="device-secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button
            type="button"
            class="device-secondary"
            data-testid="delete-device"
            onClick={() => setConfirming(true)}
          >
            Delete device…
          </button>
        )}
      </div>
    </section>
  );
}
