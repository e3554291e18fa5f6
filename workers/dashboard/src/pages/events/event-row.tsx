import type { StreamEvent } from '../../../../../schema/wire/stream.ts';

/** The device id in an event's subject (`….device.<id>.…`), if it names one. */
export function deviceOf(subject: string): string | null {
  const parts = subject.split('.');
  const i = parts.indexOf('device');
  return i >= 0 && parts[i + 1] ? parts[i + 1]! : null;
}

/** One event of the timeline. Every value goes through JSX text, so nothing in it is markup. */
export function EventRow({
  event,
  live,
  onCorrelate,
}: {
  event: StreamEvent;
  live: boolean;
  onCorrelate: (id: string) => void;
}) {
  const device = deviceOf(event.subject);
  const data = JSON.stringify(event.data);
  return (
    <li class="event-row" data-testid="event-row" data-type={event.type}>
      <time dateTime={new Date(event.ts).toISOString()}>{new Date(event.ts).toLocaleString()}</time>
      <span class={`event-type event-type-${event.type.split('.')[0]}`}>{event.type}</span>
      {live && <span class="event-live">live</span>}
      <span class="event-subject">
        {device ? <a href={`/devices/${encodeURIComponent(device)}`}>{event.subject}</a> : event.subject}
      </span>
      {event.correlationId && (
        <button
          type="button"
          class="link event-correlation"
          title="Show every event with this correlation id"
          onClick={() => onCorrelate(event.correlationId!)}
        >
          {event.correlationId}
        </button>
      )}
      {data !== '{}' && <code class="event-data">{data}</code>}
    </li>
  );
}
