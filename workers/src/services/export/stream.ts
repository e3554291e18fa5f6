import { log } from '../log.ts';
import type { NextPage } from './pages.ts';

/**
 * Bytes the stream buffers ahead of its reader. A page is fetched only when the buffer is
 * below this, so memory stays flat whatever the export's size, and a reader that goes away
 * (cancel) stops the fetching.
 */
const HIGH_WATER_BYTES = 256 * 1024;

/** A response body that fetches one page per pull, after `header`. */
export function exportStream(header: string, nextPage: NextPage, context: Record<string, unknown>) {
  const encoder = new TextEncoder();
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (header) controller.enqueue(encoder.encode(header));
      },
      async pull(controller) {
        let text: string | null;
        try {
          text = await nextPage();
        } catch (err) {
          // The status is already sent: the client sees a truncated body (no final newline).
          log.error('export failed mid-stream', { ...context, error: String(err) });
          throw err;
        }
        // The reader may have left while this page was being fetched.
        if (cancelled) return;
        if (text === null) controller.close();
        else controller.enqueue(encoder.encode(text));
      },
      cancel() {
        cancelled = true;
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
  );
}
