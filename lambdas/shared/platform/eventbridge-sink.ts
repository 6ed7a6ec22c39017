import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PaymentEvent } from '../contract/events';
import type { EventSink } from '../domain/ports';

// PutEvents takes at most 10 entries a call.
const MAX_ENTRIES = 10;

/**
 * Payment events onto the stage's EventBridge bus. EventBridge answers per entry: the entries it failed (throttled,
 * internal error) are returned for the stream to retry; the SDK has already retried whole-call failures.
 */
export const createEventBridgeSink = (
  client: EventBridgeClient,
  busName: string,
  /** Told of each entry EventBridge refused, with its error code (for the logs: why events are retried). */
  onRejected: (eventId: string, code: string, message: string) => void = () => undefined,
): EventSink => ({
  async publish(events: readonly PaymentEvent[]) {
    const failed = new Set<string>();
    for (let start = 0; start < events.length; start += MAX_ENTRIES) {
      const chunk = events.slice(start, start + MAX_ENTRIES);
      const answer = await client.send(
        new PutEventsCommand({
          Entries: chunk.map((event) => ({
            EventBusName: busName,
            Source: event.source,
            DetailType: event['detail-type'],
            Time: new Date(event.time),
            Detail: JSON.stringify(event.detail),
          })),
        }),
      );
      (answer.Entries ?? []).forEach((entry, index) => {
        const event = chunk[index];
        if (event && (entry.ErrorCode || !entry.EventId)) {
          failed.add(event.detail.eventId);
          onRejected(event.detail.eventId, entry.ErrorCode ?? 'NoEventId', entry.ErrorMessage ?? '');
        }
      });
      // Fewer answers than entries: the missing ones are not known to be on the bus.
      for (const event of chunk.slice(answer.Entries?.length ?? 0)) failed.add(event.detail.eventId);
    }
    return failed;
  },
});
