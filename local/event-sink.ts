import { appendFile } from 'node:fs/promises';
import type { PaymentEvent } from '../lambdas/shared/contract/events';
import type { EventSink } from '../lambdas/shared/domain/ports';

export interface HttpEventSinkOptions {
  /** Every event is POSTed as JSON to each of these (EVENT_SINK_URLS). */
  readonly urls: readonly string[];
  /** Every event is appended to this file, one JSON per line. */
  readonly file: string;
  /** Tries per URL, the first included (default 5), with exponential backoff from `baseDelayMs` (default 100). */
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Local mode's stand-in for the EventBridge bus: each event is appended to `.local/events.jsonl` and POSTed to
 * every subscriber URL, retried with backoff. An event some URL did not take (any answer but 2xx, after the
 * retries) is reported back, so its stream record is delivered again, to every URL: at least once, like AWS.
 */
export const createHttpEventSink = (options: HttpEventSinkOptions): EventSink => {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const post = async (url: string, event: PaymentEvent): Promise<boolean> => {
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(baseDelayMs * 2 ** (attempt - 1));
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
        });
        await response.arrayBuffer();
        if (response.ok) return true;
      } catch {
        // Unreachable or timed out: tried again after the backoff.
      }
    }
    return false;
  };
  return {
    async publish(events) {
      await appendFile(options.file, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
      const failed = new Set<string>();
      await Promise.all(
        events.map(async (event) => {
          const delivered = await Promise.all(options.urls.map((url) => post(url, event)));
          if (delivered.includes(false)) failed.add(event.detail.eventId);
        }),
      );
      return failed;
    },
  };
};
