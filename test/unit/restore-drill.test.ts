import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  type AttributeValue,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceInUseException,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  handleRestoreDrill,
  type RestoreDrillContext,
} from '../../lambdas/restore-drill/restore-drill.handler';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { RESTORE_DRILL, runDrillStep, runFullDrill } from '../../lambdas/shared/ops/restore-drill';
import { formatDrillResult, publishDrillMetrics } from '../../scripts/ops/restore-drill-cli';
import { RecordingTelemetry } from '../support/recording-telemetry';

type Item = Record<string, AttributeValue>;

const dynamodb = mockClient(DynamoDBClient);
const cloudwatch = mockClient(CloudWatchClient);
const SOURCE = 'temba-payments-prod';
const SCRATCH = 'temba-payments-prod-drill-202612010305';
const KEY = 'arn:aws:kms:eu-west-3:333333333333:key/table-key';
const RESTORE_POINT = new Date('2026-12-01T03:00:00Z');
const START = new Date('2026-12-01T03:05:00Z');

const S = (value: string): AttributeValue => ({ S: value });
const order = (id: string, version: number, createdAt: string, extra: Item = {}): Item => ({
  pk: S(`ORDER#${id}`),
  sk: S('ORDER'),
  entity: S('order'),
  orderId: S(id),
  version: { N: String(version) },
  amount: { N: '15000' },
  status: S(version === 2 ? 'PENDING' : 'COMPLETED'),
  createdAt: S(createdAt),
  customerEncrypted: { M: { ciphertext: S(`c-${id}`) } },
  ...extra,
});
const audit = (id: string, version: number, at: string): Item => ({
  pk: S(`ORDER#${id}`),
  sk: S(`AUDIT#${String(version).padStart(10, '0')}`),
  entity: S('audit'),
  at: S(at),
});
const idempotency = (n: number): Item => ({ pk: S(`IDEM#${n}`), sk: S('IDEM'), entity: S('idempotency') });

/** The table and its restored copy, as the drill's scans and reads see them. */
let tables: Record<string, Item[]>;
let now: Date;
let describes: number;

const scan = (input: ScanCommandInput) => {
  const items = tables[input.TableName ?? ''] ?? [];
  const values = input.ExpressionAttributeValues ?? {};
  const names = input.ExpressionAttributeNames ?? {};
  const entity = values[':entity']?.S ?? values[':order']?.S;
  const cutoff = values[':cutoff']?.S;
  const stamp = names['#stamp'] ?? names['#createdAt'];
  const matched = items.filter(
    (item) =>
      (entity === undefined || item.entity?.S === entity) &&
      (cutoff === undefined || stamp === undefined || (item[stamp]?.S ?? '') <= cutoff),
  );
  return input.Select === 'COUNT' ? { Count: matched.length } : { Items: matched };
};

const context = (telemetry = new RecordingTelemetry()): RestoreDrillContext => ({
  dynamodb: new DynamoDBClient({ region: 'eu-west-3' }),
  stage: 'prod',
  tableName: SOURCE,
  tableKeyArn: KEY,
  clock: { now: () => now },
  sleep: async (ms) => {
    now = new Date(now.getTime() + ms);
  },
  telemetry,
});

const putsOf = () => dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item ?? {});
const statuses = () => putsOf().map((item) => item.status?.S);

beforeEach(() => {
  now = START;
  describes = 0;
  const orders = [
    order('01A', 3, '2026-11-30T10:00:00.000Z'),
    order('01B', 2, '2026-11-30T11:00:00.000Z'),
    order('01C', 3, '2026-12-01T02:00:00.000Z'),
  ];
  const audits = [audit('01A', 1, '2026-11-30T10:00:00.000Z'), audit('01A', 2, '2026-11-30T10:00:01.000Z')];
  tables = {
    [SCRATCH]: [...orders, ...audits, idempotency(1), idempotency(2)],
    // Since the restore point: 01B was paid (version 3), a new order came in, an idempotency record expired.
    [SOURCE]: [
      orders[0] as Item,
      order('01B', 3, '2026-11-30T11:00:00.000Z', { paymentMethod: S('orange-money-burkina') }),
      orders[2] as Item,
      order('01D', 2, '2026-12-01T03:04:00.000Z'),
      ...audits,
      idempotency(2),
    ],
  };
  dynamodb.reset();
  cloudwatch.reset();
  dynamodb
    .on(DescribeContinuousBackupsCommand, { TableName: SOURCE })
    .resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          LatestRestorableDateTime: RESTORE_POINT,
        },
      },
    })
    .on(RestoreTableToPointInTimeCommand)
    .resolves({ TableDescription: { TableName: SCRATCH, TableStatus: 'CREATING' } })
    .on(DescribeTableCommand, { TableName: SCRATCH })
    .callsFake(() => {
      describes++;
      return {
        Table: {
          TableName: SCRATCH,
          TableStatus: describes < 3 ? 'CREATING' : 'ACTIVE',
          RestoreSummary: { RestoreInProgress: describes < 3, RestoreDateTime: RESTORE_POINT },
        },
      };
    })
    .on(ScanCommand)
    .callsFake(scan)
    .on(GetItemCommand)
    .callsFake((input) => ({
      Item: tables[SOURCE]?.find(
        (item) => item.pk?.S === input.Key?.pk?.S && item.sk?.S === input.Key?.sk?.S,
      ),
    }))
    .on(DeleteTableCommand, { TableName: SCRATCH })
    .resolves({})
    .on(PutItemCommand)
    .resolves({})
    .on(QueryCommand)
    .resolves({ Items: [] });
});
afterAll(() => {
  dynamodb.restore();
  cloudwatch.restore();
});

describe('restore drill: success', () => {
  it('restores to the latest restorable time into an encrypted scratch table, verifies it, deletes it, records it', async () => {
    const result = await runFullDrill(context());
    expect(result.ok).toBe(true);
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)[0]?.args[0].input).toEqual({
      SourceTableName: SOURCE,
      TargetTableName: SCRATCH,
      RestoreDateTime: RESTORE_POINT,
      BillingModeOverride: 'PAY_PER_REQUEST',
      SSESpecificationOverride: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY },
    });
    expect(result.checks.map((check) => [check.name, check.ok, check.detail])).toEqual([
      ['restored table became active', true, SCRATCH],
      ['orders before 2026-12-01T02:59:00.000Z: same count', true, 'backup 3, table 3'],
      ['audit events before 2026-12-01T02:59:00.000Z: same count', true, 'backup 2, table 2'],
      ['items in all (information: TTL and later writes make them differ)', true, 'backup 7, table 7'],
      ['sample of 3 orders matches the table', true, 'all match'],
      ['scratch table deleted', true, SCRATCH],
    ]);
    expect(dynamodb.commandCalls(DeleteTableCommand)).toHaveLength(1);
    expect(statuses()).toEqual(['restoring', 'succeeded']);
    expect(result.durationMs).toBe(2 * RESTORE_DRILL.pollMs);
    // Counts come from Scan (Select COUNT), never from DescribeTable's stale ItemCount.
    expect(dynamodb.commandCalls(ScanCommand).filter((c) => c.args[0].input.Select === 'COUNT').length).toBe(
      6,
    );
  });

  it('the scheduled Lambda publishes RestoreDrillSucceeded 1 and RestoreDrillDuration', async () => {
    const telemetry = new RecordingTelemetry();
    const answer = await handleRestoreDrill({ action: 'drill' }, context(telemetry));
    expect(answer).toMatchObject({ action: 'drill', outcome: 'succeeded' });
    expect(telemetry.counted(METRICS.restoreDrillSucceeded)).toBe(1);
    expect(telemetry.measures).toEqual([
      { name: METRICS.restoreDrillDuration, value: 2 * RESTORE_DRILL.pollMs, unit: 'Milliseconds' },
    ]);
  });

  it('npm run restore-drill sends the same metrics with PutMetricData and prints the checklist', async () => {
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const result = await runFullDrill(context());
    await publishDrillMetrics(new CloudWatchClient({ region: 'eu-west-3' }), result);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input).toEqual({
      Namespace: 'Temba/Payments',
      MetricData: [
        expect.objectContaining({
          MetricName: 'RestoreDrillSucceeded',
          Value: 1,
          Unit: 'Count',
          Dimensions: [{ Name: 'service', Value: 'temba-payments' }],
        }),
        expect.objectContaining({
          MetricName: 'RestoreDrillDuration',
          Value: result.durationMs,
          Unit: 'Milliseconds',
        }),
      ],
    });
    expect(formatDrillResult('prod', result)).toMatch(/^Restore drill for prod: PASSED\n/);
  });
});

describe('restore drill: each failure is a failed drill (metric 0), and the scratch table never stays', () => {
  const failedCheck = (result: { checks: readonly { name: string; ok: boolean; detail: string }[] }) =>
    result.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);

  it('point-in-time recovery off: nothing restored, failure recorded and published', async () => {
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    });
    const telemetry = new RecordingTelemetry();
    const answer = await handleRestoreDrill({ action: 'drill' }, context(telemetry));
    expect(answer).toMatchObject({ outcome: 'failed' });
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
    expect(telemetry.counts.get(METRICS.restoreDrillSucceeded)).toBe(0);
    expect(statuses()).toEqual(['failed']);
  });

  it('the restore call refused: failure with the reason', async () => {
    dynamodb
      .on(RestoreTableToPointInTimeCommand)
      .rejects(
        Object.assign(new Error('Too many tables being restored'), { name: 'LimitExceededException' }),
      );
    const result = await runFullDrill(context());
    expect(result.ok).toBe(false);
    expect(failedCheck(result)).toEqual([
      'restore started: LimitExceededException: Too many tables being restored',
    ]);
  });

  it('an order missing from the restored copy: counts differ', async () => {
    tables[SCRATCH] = (tables[SCRATCH] ?? []).filter((item) => item.orderId?.S !== '01C');
    const result = await runFullDrill(context());
    expect(result.ok).toBe(false);
    expect(failedCheck(result)).toEqual([
      'orders before 2026-12-01T02:59:00.000Z: same count: backup 2, table 3',
    ]);
    expect(dynamodb.commandCalls(DeleteTableCommand)).toHaveLength(1);
    expect(statuses()).toEqual(['restoring', 'failed']);
  });

  it('a lost audit event: counts differ', async () => {
    tables[SCRATCH] = (tables[SCRATCH] ?? []).filter((item) => item.sk?.S !== 'AUDIT#0000000002');
    expect(failedCheck(await runFullDrill(context()))).toEqual([
      'audit events before 2026-12-01T02:59:00.000Z: same count: backup 1, table 2',
    ]);
  });

  it('a restored order whose content differs from the table at the same version', async () => {
    tables[SCRATCH] = (tables[SCRATCH] ?? []).map((item) =>
      item.orderId?.S === '01A' ? { ...item, amount: { N: '1500' } } : item,
    );
    expect(failedCheck(await runFullDrill(context()))).toEqual([
      'sample of 3 orders matches the table: order 01A differs from the table in amount',
    ]);
  });

  it('a restored order that moved on since, but whose amount changed: immutable fields differ', async () => {
    tables[SOURCE] = (tables[SOURCE] ?? []).map((item) =>
      item.orderId?.S === '01B' ? { ...item, amount: { N: '99' } } : item,
    );
    expect(failedCheck(await runFullDrill(context()))).toEqual([
      'sample of 3 orders matches the table: order 01B differs from the table in amount',
    ]);
  });

  it('an order in the backup that the table no longer has', async () => {
    tables[SOURCE] = (tables[SOURCE] ?? []).filter(
      (item) => item.pk?.S !== 'ORDER#01A' || item.sk?.S !== 'ORDER',
    );
    const failed = failedCheck(await runFullDrill(context()));
    expect(failed).toContain(
      'sample of 3 orders matches the table: order 01A is in the backup but not in the table',
    );
  });

  it('the restore never finishes: failure after the maximum restore time', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: { TableName: SCRATCH, TableStatus: 'CREATING' } });
    dynamodb
      .on(DeleteTableCommand)
      .rejects(new ResourceInUseException({ message: 'Table is being created', $metadata: {} }));
    const result = await runFullDrill(context());
    expect(result.ok).toBe(false);
    expect(failedCheck(result)).toEqual([
      'restored table became active: still restoring after 5.0 h',
      `scratch table deleted: delete ${SCRATCH} by hand`,
    ]);
  });

  it('the comparison itself breaks (access denied on Scan): failure, and the copy is still deleted', async () => {
    dynamodb.on(ScanCommand).rejects(
      Object.assign(new Error('not authorized to perform dynamodb:Scan'), {
        name: 'AccessDeniedException',
      }),
    );
    const result = await runFullDrill(context());
    expect(failedCheck(result)).toEqual([
      'restored copy compared with the table: AccessDeniedException: not authorized to perform dynamodb:Scan',
    ]);
    expect(dynamodb.commandCalls(DeleteTableCommand)).toHaveLength(1);
  });
});

describe('restore drill: the monthly schedule, one step per invocation', () => {
  const storedRun = (status: string, startedAt: string, finishedAt?: string): Item => ({
    pk: S('DRILL'),
    sk: S(`RUN#${startedAt}`),
    status: S(status),
    scratchTable: S(SCRATCH),
    restoredTo: S(RESTORE_POINT.toISOString()),
    startedAt: S(startedAt),
    ...(finishedAt ? { finishedAt: S(finishedAt) } : {}),
  });

  it('hands over to the next invocation while the restore is young, publishing nothing', async () => {
    dynamodb.on(DescribeTableCommand).resolves({ Table: { TableName: SCRATCH, TableStatus: 'CREATING' } });
    const telemetry = new RecordingTelemetry();
    expect(await handleRestoreDrill({ action: 'drill' }, context(telemetry))).toEqual({
      action: 'drill',
      outcome: 'restoring',
    });
    expect(telemetry.counts.has(METRICS.restoreDrillSucceeded)).toBe(false);
    expect(statuses()).toEqual(['restoring']);
    expect(dynamodb.commandCalls(DeleteTableCommand)).toHaveLength(0);
  });

  it("picks up this month's restoring run instead of starting another", async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [storedRun('restoring', START.toISOString())] });
    now = new Date(START.getTime() + 30 * 60_000);
    const result = await runDrillStep(context());
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
    expect(result).toMatchObject({ ok: true, scratchTable: SCRATCH });
  });

  it('does nothing once this month has a finished run', async () => {
    dynamodb
      .on(QueryCommand)
      .resolves({ Items: [storedRun('succeeded', START.toISOString(), START.toISOString())] });
    expect(await runDrillStep(context())).toBe('done-this-month');
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
  });

  it("starts a new run when the latest one is last month's", async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [storedRun('succeeded', '2026-11-01T03:00:00.000Z')] });
    await runDrillStep(context());
    expect(dynamodb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(1);
  });

  it('watch: publishes the days since the last successful drill', async () => {
    dynamodb.on(QueryCommand).resolves({
      Items: [
        storedRun('failed', '2026-11-01T03:00:00.000Z', '2026-11-01T03:30:00.000Z'),
        storedRun('succeeded', '2026-10-01T03:00:00.000Z', '2026-10-01T03:40:00.000Z'),
      ],
    });
    const telemetry = new RecordingTelemetry();
    expect(await handleRestoreDrill({ action: 'watch' }, context(telemetry))).toEqual({
      action: 'watch',
      days: 60,
    });
    expect(telemetry.measures).toEqual([{ name: METRICS.restoreDrillAgeDays, value: 60, unit: 'None' }]);
  });

  it('watch: a stage that never passed a drill reads as overdue', async () => {
    const telemetry = new RecordingTelemetry();
    await handleRestoreDrill({ action: 'watch' }, context(telemetry));
    expect(telemetry.measures[0]?.value).toBeGreaterThan(RESTORE_DRILL.overdueAfterDays);
  });

  it('refuses an unknown action', async () => {
    await expect(handleRestoreDrill({ action: 'restore-everything' }, context())).rejects.toThrow();
  });
});
