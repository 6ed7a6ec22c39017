import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { ENV } from '../shared/contract/env';
import { requireEnv } from '../shared/platform/env';
import { createEventBridgeSink } from '../shared/platform/eventbridge-sink';
import { scheduledHandler } from '../shared/platform/lambda';
import { logger, metrics } from '../shared/platform/powertools';
import { createPowertoolsTelemetry } from '../shared/platform/powertools-telemetry';
import { publishStreamRecords, type StreamPublisherDeps } from '../shared/platform/stream-publisher';

const buildPublisherContext = (): StreamPublisherDeps => {
  logger.appendPersistentKeys({ stage: requireEnv(ENV.stage) });
  const telemetry = createPowertoolsTelemetry(logger, metrics);
  return {
    sink: createEventBridgeSink(
      new EventBridgeClient({}),
      requireEnv(ENV.eventBusName),
      (eventId, code, message) =>
        telemetry.warn('EventBridge refused an event; its stream record is retried', {
          eventId,
          code,
          message,
        }),
    ),
    telemetry,
    clock: { now: () => new Date() },
  };
};

/**
 * The table's stream (order items only: the event source mapping filters on `pk`) to the payments bus. Partial
 * batch failures: only the records whose events EventBridge did not take are retried.
 */
export const handleStreamBatch = (event: DynamoDBStreamEvent, deps: StreamPublisherDeps) =>
  publishStreamRecords(event.Records, deps);

export const handler = scheduledHandler(buildPublisherContext, handleStreamBatch);
