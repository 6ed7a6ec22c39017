import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { handleStreamBatch } from '../../lambdas/event-publisher/event-publisher.handler';
import { EVENTS } from '../../lambdas/shared/contract/events';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { createEventBridgeSink } from '../../lambdas/shared/platform/eventbridge-sink';
import { RecordingTelemetry } from '../support/recording-telemetry';

const eventbridge = mockClient(EventBridgeClient);
afterEach(() => eventbridge.reset());

const image = (orderId: string, audit: Record<string, unknown>[], status = 'PENDING') =>
  marshall(
    {
      pk: `ORDER#${orderId}`,
      sk: 'ORDER',
      entity: 'order',
      orderId,
      status,
      version: audit.length,
      amount: 5_000,
      currency: 'XOF',
      audit,
    },
    { removeUndefinedValues: true },
  );

const audit = (id: string, from: string | null, to: string) => ({
  id,
  version: 1,
  at: '2026-12-02T10:00:00.000Z',
  actor: 'webhook',
  from,
  to,
  reason: 'x',
});

/** One stream record: an order moving PENDING → COMPLETED (one payment.completed event). */
const completion = (orderId: string, sequence: string): DynamoDBRecord => {
  const before = [audit(`${orderId}-1`, null, 'CREATED'), audit(`${orderId}-2`, 'CREATED', 'PENDING')];
  return {
    eventID: sequence,
    eventName: 'MODIFY',
    dynamodb: {
      SequenceNumber: sequence,
      OldImage: image(orderId, before) as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'],
      NewImage: image(
        orderId,
        [...before, audit(`${orderId}-3`, 'PENDING', 'COMPLETED')],
        'COMPLETED',
      ) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
    },
  };
};

describe('stream publisher on EventBridge', () => {
  it('puts each committed change on the bus with the contract source and detail-type', async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
    const telemetry = new RecordingTelemetry();
    const sink = createEventBridgeSink(new EventBridgeClient({}), 'temba-payments-test');
    const result = await handleStreamBatch(
      { Records: [completion('A', '100')] },
      {
        sink,
        telemetry,
        clock: { now: () => new Date('2026-12-02T10:00:01.000Z') },
      },
    );
    expect(result.batchItemFailures).toEqual([]);
    const [call] = eventbridge.commandCalls(PutEventsCommand);
    const entry = call?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'temba-payments-test',
      Source: EVENTS.source,
      DetailType: 'payment.completed',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      eventId: 'A-3',
      orderId: 'A',
      status: 'COMPLETED',
    });
    expect(telemetry.counted(METRICS.eventPublished)).toBe(1);
  });

  it('reports only the records whose events EventBridge refused, so only those are retried', async () => {
    eventbridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'eb-1' }, { ErrorCode: 'ThrottlingException' }],
    });
    const refused: string[] = [];
    const sink = createEventBridgeSink(new EventBridgeClient({}), 'bus', (eventId, code) =>
      refused.push(`${eventId}:${code}`),
    );
    const telemetry = new RecordingTelemetry();
    const result = await handleStreamBatch(
      { Records: [completion('A', '100'), completion('B', '200')] },
      { sink, telemetry, clock: { now: () => new Date() } },
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '200' }]);
    expect(refused).toEqual(['B-3:ThrottlingException']);
    expect(telemetry.counted(METRICS.eventPublishFailed)).toBe(1);
  });

  it('a bus that cannot be reached fails the whole batch for a retry, never drops it', async () => {
    eventbridge.on(PutEventsCommand).rejects(new Error('network down'));
    const sink = createEventBridgeSink(new EventBridgeClient({}), 'bus');
    const result = await handleStreamBatch(
      { Records: [completion('A', '100'), completion('B', '200')] },
      { sink, telemetry: new RecordingTelemetry(), clock: { now: () => new Date() } },
    );
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['100', '200']);
  });

  it('sends at most 10 entries per PutEvents call', async () => {
    eventbridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `eb-${i}` })),
    }));
    const sink = createEventBridgeSink(new EventBridgeClient({}), 'bus');
    const records = Array.from({ length: 23 }, (_, i) => completion(`O${i}`, String(i)));
    const result = await handleStreamBatch(
      { Records: records },
      { sink, telemetry: new RecordingTelemetry(), clock: { now: () => new Date() } },
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(eventbridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 10, 3,
    ]);
  });
});
