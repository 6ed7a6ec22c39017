import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { TABLE } from '../../lambdas/shared/contract/table';
import type { Alert } from '../../lambdas/shared/domain/ports';
import { createSnsAlerts } from '../../lambdas/shared/platform/aws-adapters';
import {
  ALERT_DEDUP_WINDOW_SECONDS,
  alertDedupKey,
  createDeduplicatingAlerts,
} from '../../lambdas/shared/platform/deduplicating-alerts';
import { createDocumentClient } from '../../lambdas/shared/store/dynamo-client';
import { createDynamoPaymentStore } from '../../lambdas/shared/store/dynamo-payment-store';
import { ensureTable } from '../../local/create-table';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { RecordingTelemetry } from '../support/recording-telemetry';

/**
 * Alert de-duplication against DynamoDB Local (the claim is a conditional write on the payments table) with the
 * real SNS publisher on a mocked SNS client: a storm of identical alerts from many warm instances pages once.
 */

const sns = mockClient(SNSClient);
const TOPICS = {
  critical: 'arn:aws:sns:eu-west-3:333333333333:temba-payments-prod-critical',
  warning: 'arn:aws:sns:eu-west-3:333333333333:temba-payments-prod-warning',
};
const T0 = new Date('2026-11-26T10:00:00Z');

let documents: ReturnType<typeof createDocumentClient>;
let tableName: string;
let admin: DynamoDBClient;

beforeAll(async () => {
  const endpoint = inject('dynamoEndpoint');
  tableName = `it-alerts-${randomUUID()}`;
  admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureTable(admin, tableName);
  documents = createDocumentClient({ ...LOCAL_AWS, endpoint });
});
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterAll(() => {
  sns.restore();
  for (const client of clients) client.destroy();
  documents?.destroy();
  admin?.destroy();
});

const clients: ReturnType<typeof createDocumentClient>[] = [];

/** One warm Lambda instance: its own DynamoDB and SNS clients, de-duplicating through the shared table. */
const instance = (now: () => Date, telemetry = new RecordingTelemetry()) => {
  // Lenient timeouts: the shared DynamoDB Local (a JVM serving every test file at once) is no DynamoDB, and a
  // timed-out claim would publish (fail-open), which is not what this test is about.
  const own = createDocumentClient({
    ...LOCAL_AWS,
    endpoint: inject('dynamoEndpoint'),
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 10_000 },
  });
  clients.push(own);
  return {
    telemetry,
    alerts: createDeduplicatingAlerts(
      createSnsAlerts(new SNSClient({ region: 'eu-west-3' }), 'prod', TOPICS),
      {
        stage: 'prod',
        store: createDynamoPaymentStore(own, tableName),
        clock: { now },
        telemetry,
      },
    ),
  };
};

const forged = (summary = `A webhook arrived with a wrong PayDunya hash (${randomUUID()})`): Alert => ({
  type: 'forged-webhook',
  severity: 'critical',
  summary,
  details: { reason: 'hash' },
});

describe('alert de-duplication across warm instances', () => {
  it('100 identical alerts from 10 instances at once publish exactly once; 99 are counted as suppressed', async () => {
    const instances = Array.from({ length: 10 }, () => instance(() => T0));
    const alert = forged();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (instances[i % 10] as (typeof instances)[number]).alerts.publish(alert),
      ),
    );
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    const suppressed = instances.reduce((n, it) => n + it.telemetry.counted(METRICS.alertSuppressed), 0);
    expect(suppressed).toBe(99);
    const claim = await documents.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: `ALERT#${alertDedupKey('prod', alert)}`, sk: 'ALERT' },
      }),
    );
    expect(claim.Item).toMatchObject({
      entity: 'alert',
      suppressed: 99,
      windowEndsAt: T0.getTime() / 1000 + ALERT_DEDUP_WINDOW_SECONDS,
    });
    // Cleaned up by the table's TTL a week after its window.
    expect(claim.Item?.[TABLE.ttlAttribute]).toBe(
      T0.getTime() / 1000 + ALERT_DEDUP_WINDOW_SECONDS + 7 * 86_400,
    );
  });

  it('the published message keeps the stable schema: type, severity, stage, orderId, summary, details, time', async () => {
    const { alerts } = instance(() => T0);
    await alerts.publish(forged('schema check'));
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPICS.critical);
    expect(JSON.parse(input?.Message ?? '{}')).toEqual({
      type: 'forged-webhook',
      severity: 'critical',
      stage: 'prod',
      orderId: null,
      summary: 'schema check',
      details: { reason: 'hash' },
      time: expect.any(String),
    });
  });

  it('alerts about different orders, of different types or summaries are not merged', async () => {
    const { alerts } = instance(() => T0);
    const fraud = (orderId: string): Alert => ({
      type: 'fraud-suspected',
      severity: 'critical',
      orderId,
      summary: 'PayDunya confirm does not match the stored order (amount)',
    });
    const orderA = `01A${randomUUID()}`;
    await alerts.publish(fraud(orderA));
    await alerts.publish(fraud(orderA));
    await alerts.publish(fraud(`01B${randomUUID()}`));
    await alerts.publish({ ...fraud(orderA), type: 'state-conflict' });
    await alerts.publish(forged());
    await alerts.publish(forged());
    expect(sns.commandCalls(PublishCommand)).toHaveLength(5);
  });

  it('after the window, the next identical alert pages again and says how many were held back', async () => {
    let now = T0;
    const { alerts } = instance(() => now);
    const alert = forged();
    for (let i = 0; i < 7; i++) await alerts.publish(alert);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);

    now = new Date(T0.getTime() + (ALERT_DEDUP_WINDOW_SECONDS - 1) * 1000);
    await alerts.publish(alert);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);

    now = new Date(T0.getTime() + ALERT_DEDUP_WINDOW_SECONDS * 1000);
    await alerts.publish(alert);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(2);
    expect(JSON.parse(calls[1]?.args[0].input.Message ?? '{}').details).toEqual({
      reason: 'hash',
      suppressedSinceLast: 7,
    });
  });

  it('publishes anyway when the claim cannot be written: a page twice beats no page', async () => {
    const telemetry = new RecordingTelemetry();
    const alerts = createDeduplicatingAlerts(
      createSnsAlerts(new SNSClient({ region: 'eu-west-3' }), 'prod', TOPICS),
      {
        stage: 'prod',
        store: {
          claimAlert: () => Promise.reject(new Error('DynamoDB unreachable')),
        },
        clock: { now: () => T0 },
        telemetry,
      },
    );
    await alerts.publish(forged());
    await alerts.publish(forged());
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(
      telemetry.logs.filter((l) => l.message.startsWith('alert de-duplication unavailable')),
    ).toHaveLength(2);
  });
});
