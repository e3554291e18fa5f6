import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../../api.ts';
import { FILTER_KEYS, type EventFilters } from './api.ts';

const FIELDS: { key: (typeof FILTER_KEYS)[number]; label: string; placeholder?: string; type?: string }[] = [
  { key: 'subject', label: 'Subject pattern', placeholder: 'org.<org>.site.*.device.*.event.**' },
  { key: 'type', label: 'Type', placeholder: 'device.online' },
  { key: 'from', label: 'From', type: 'datetime-local' },
  { key: 'to', label: 'To', type: 'datetime-local' },
  { key: 'correlationId', label: 'Correlation id' },
];

/**
 * The events filters. Applied on submit, not per keystroke, so a half-typed pattern never
 * reaches the API; the API's complaint about a field is shown next to it.
 */
export function EventFilterForm({
  filters,
  error,
  onApply,
}: {
  filters: EventFilters;
  error: ApiError | null;
  onApply: (filters: EventFilters) => void;
}) {
  const [draft, setDraft] = useState<EventFilters>(filters);
  useEffect(() => setDraft(filters), [filters]);
  return (
    <form
      class="event-filters"
      data-testid="events-filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      {FIELDS.map((f) => {
        const id = `events-filter-${f.key}`;
        const bad = error?.field === f.key;
        return (
          <label key={f.key} for={id}>
            {f.label}
            <input
              id={id}
              name={f.key}
              type={f.type ?? 'text'}
              value={draft[f.key] ?? ''}
              placeholder={f.placeholder}
              aria-invalid={bad}
              aria-describedby={bad ? `${id}-error` : undefined}
              onInput={(e) => setDraft({ ...draft, [f.key]: (e.target as HTMLInputElement).value })}
              data-testid={id}
            />
            {bad && (
              <span id={`${id}-error`} class="field-error" role="alert">
                {error.message}
              </span>
            )}
          </label>
        );
      })}
      <div class="event-filter-actions">
        <button type="submit" class="primary" data-testid="events-apply">
          Apply
        </button>
        <button type="button" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
    </form>
  );
}
