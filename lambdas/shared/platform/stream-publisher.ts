import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { PaymentEvent } from '../contract/events';
import { METRICS } from '../contract/metrics';
import { eventsOfChange } from '../domain/payment-events';
import type { Clock, EventSink, Telemetry } from '../domain/ports';

export interface StreamPublisherDeps {
  readonly sink: EventSink;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
}

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

const read = (image: Image | undefined): Record<string, unknown> | undefined =>
  image ? unmarshall(image as Record<string, AttributeValue>) : undefined;

/**
 * One batch of the table's stream (a Lambda event on AWS, a GetRecords page in local mode): each order write's
 * events go to the sink. A record any of whose events the sink did not take is reported as a batch item failure,
 * so the event source mapping retries from it (and, past its retries, sends it to the DLQ): at least once, never
 * lost. A record that cannot be read at all is logged and skipped, so one bad item never stops the stream.
 */
export const publishStreamRecords = async (
  records: readonly DynamoDBRecord[],
  deps: StreamPublisherDeps,
): Promise<DynamoDBBatchResponse> => {
  const perRecord: { readonly record: DynamoDBRecord; readonly events: PaymentEvent[] }[] = [];
  for (const record of records) {
    try {
      perRecord.push({
        record,
        events: eventsOfChange(read(record.dynamodb?.OldImage), read(record.dynamodb?.NewImage)),
      });
    } catch (error) {
      deps.telemetry.error('stream record could not be read; skipped', {
        eventId: record.eventID,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const events = perRecord.flatMap((entry) => entry.events);
  if (events.length === 0) return { batchItemFailures: [] };
  let failed: ReadonlySet<string>;
  try {
    failed = await deps.sink.publish(events);
  } catch (error) {
    deps.telemetry.error('event sink unavailable; the batch is retried', {
      error: error instanceof Error ? error.message : String(error),
    });
    failed = new Set(events.map((event) => event.detail.eventId));
  }
  const now = deps.clock.now().getTime();
  for (const event of events) {
    if (failed.has(event.detail.eventId)) {
      deps.telemetry.count(METRICS.eventPublishFailed, 1);
      continue;
    }
    deps.telemetry.count(METRICS.eventPublished, 1);
    deps.telemetry.measure(METRICS.eventDeliveryLag, now - Date.parse(event.time), 'Milliseconds');
    deps.telemetry.info('payment event published', {
      orderId: event.detail.orderId,
      eventType: event['detail-type'],
      eventId: event.detail.eventId,
    });
  }
  return {
    batchItemFailures: perRecord
      .filter((entry) => entry.events.some((event) => failed.has(event.detail.eventId)))
      .map((entry) => ({
        itemIdentifier: entry.record.dynamodb?.SequenceNumber ?? entry.record.eventID ?? '',
      })),
  };
};
