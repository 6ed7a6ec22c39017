import {
  type AttributeValue,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DRILL_TABLE, ITEM_PREFIX, TABLE } from '../contract/table';
import type { Clock, Telemetry } from '../domain/ports';

/**
 * The go-live plan's "test backup restoration", as a drill that runs by itself: restore the payments table to a
 * point in time into a scratch table, check the copy against the table, delete the copy, record and publish the
 * verdict. Shared by the scheduled Lambda (lambdas/restore-drill) and `npm run restore-drill`.
 */
export const RESTORE_DRILL = {
  /** The Lambda's timeout: AWS's maximum. */
  functionTimeoutSeconds: 900,
  /** How long one Lambda invocation waits for the restore before handing over to the next scheduled one. */
  waitBudgetMs: 10 * 60_000,
  pollMs: 20_000,
  /** A restore still not done after this long is a failed drill. */
  maxRestoreHours: 5,
  /** Orders compared one by one with the table. */
  sampleSize: 25,
  /** Items stamped this close before the restore point may have been written just after it: not compared. */
  writeSkewSeconds: 60,
  /** The "drill missing" alarm fires when the last successful drill is older than this. */
  overdueAfterDays: 35,
  /** Drill records are kept about a year (TTL). */
  recordRetentionDays: 400,
} as const;

export interface DrillContext {
  readonly dynamodb: DynamoDBClient;
  readonly stage: string;
  /** The payments table (the source). */
  readonly tableName: string;
  /** The table's KMS key: the scratch copy holds the same customer data and is encrypted the same way. */
  readonly tableKeyArn: string;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly telemetry: Pick<Telemetry, 'info' | 'warn' | 'error'>;
}

export interface DrillCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillRun {
  readonly scratchTable: string;
  readonly restoredTo: string;
  readonly startedAt: string;
}

export interface DrillResult extends DrillRun {
  readonly ok: boolean;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly checks: readonly DrillCheck[];
  readonly scratchDeleted: boolean;
}

type Item = Record<string, AttributeValue>;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });
const str = (item: Item | undefined, key: string): string | undefined => item?.[key]?.S;
const num = (item: Item | undefined, key: string): number | undefined =>
  item?.[key]?.N === undefined ? undefined : Number(item[key]?.N);

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Every run is one item: `pk=DRILL`, `sk=RUN#<startedAt>`, in the payments table. */
const runKey = (startedAt: string): Item => ({ pk: S(ITEM_PREFIX.restoreDrill), sk: S(`RUN#${startedAt}`) });

const putRun = async (
  ctx: DrillContext,
  run: DrillRun,
  status: 'restoring' | 'succeeded' | 'failed',
  result?: DrillResult,
): Promise<void> => {
  const expiresAt = Math.floor(Date.parse(run.startedAt) / 1000) + RESTORE_DRILL.recordRetentionDays * 86_400;
  await ctx.dynamodb.send(
    new PutItemCommand({
      TableName: ctx.tableName,
      Item: {
        ...runKey(run.startedAt),
        entity: S('restore-drill'),
        status: S(status),
        scratchTable: S(run.scratchTable),
        restoredTo: S(run.restoredTo),
        startedAt: S(run.startedAt),
        [TABLE.ttlAttribute]: N(expiresAt),
        ...(result
          ? {
              finishedAt: S(result.finishedAt),
              durationMs: N(result.durationMs),
              checks: S(JSON.stringify(result.checks)),
            }
          : {}),
      },
    }),
  );
};

interface StoredRun extends DrillRun {
  readonly status: string;
  readonly finishedAt?: string;
}

/** The latest drill runs, newest first. */
const recentRuns = async (ctx: DrillContext, limit: number): Promise<StoredRun[]> => {
  const result = await ctx.dynamodb.send(
    new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
      ExpressionAttributeValues: { ':pk': S(ITEM_PREFIX.restoreDrill), ':run': S('RUN#') },
      ScanIndexForward: false,
      Limit: limit,
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map((item) => ({
    status: str(item, 'status') ?? 'unknown',
    scratchTable: str(item, 'scratchTable') ?? '',
    restoredTo: str(item, 'restoredTo') ?? '',
    startedAt: str(item, 'startedAt') ?? '',
    ...(str(item, 'finishedAt') ? { finishedAt: str(item, 'finishedAt') } : {}),
  }));
};

/**
 * Starts a point-in-time restore of the table, to its latest restorable time, into a new scratch table (same KMS
 * key, on-demand), and records the run.
 */
export const startRestore = async (ctx: DrillContext): Promise<DrillRun> => {
  const backups = await ctx.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: ctx.tableName }));
  const pitr = backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
  if (pitr?.PointInTimeRecoveryStatus !== 'ENABLED' || !pitr.LatestRestorableDateTime) {
    throw new Error(
      `point-in-time recovery is ${pitr?.PointInTimeRecoveryStatus ?? 'unknown'} on ${ctx.tableName}`,
    );
  }
  const now = ctx.clock.now();
  const run: DrillRun = {
    scratchTable: DRILL_TABLE.nameFor(ctx.stage, now),
    restoredTo: pitr.LatestRestorableDateTime.toISOString(),
    startedAt: now.toISOString(),
  };
  await ctx.dynamodb.send(
    new RestoreTableToPointInTimeCommand({
      SourceTableName: ctx.tableName,
      TargetTableName: run.scratchTable,
      RestoreDateTime: pitr.LatestRestorableDateTime,
      BillingModeOverride: 'PAY_PER_REQUEST',
      SSESpecificationOverride: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: ctx.tableKeyArn },
    }),
  );
  await putRun(ctx, run, 'restoring');
  ctx.telemetry.info('restore drill started', { ...run });
  return run;
};

/** Polls the scratch table until it is ACTIVE with its restore done, or the budget runs out. */
const waitActive = async (ctx: DrillContext, table: string, budgetMs: number): Promise<boolean> => {
  const deadline = ctx.clock.now().getTime() + budgetMs;
  for (;;) {
    const { Table: described } = await ctx.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    if (described?.TableStatus === 'ACTIVE' && !described.RestoreSummary?.RestoreInProgress) return true;
    if (ctx.clock.now().getTime() + RESTORE_DRILL.pollMs > deadline) return false;
    await ctx.sleep(RESTORE_DRILL.pollMs);
  }
};

/**
 * Counts with Scan (`Select: COUNT`, every page): DescribeTable's ItemCount is refreshed only every six hours or
 * so, useless on a table restored a minute ago.
 */
const scanCount = async (
  ctx: DrillContext,
  table: string,
  filter?: { expression: string; names: Record<string, string>; values: Item },
): Promise<number> => {
  let count = 0;
  let startKey: Item | undefined;
  do {
    const page = await ctx.dynamodb.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
        ...(filter
          ? {
              FilterExpression: filter.expression,
              ExpressionAttributeNames: filter.names,
              ExpressionAttributeValues: filter.values,
            }
          : {}),
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
};

/** A value in one canonical text form (keys sorted at every level), to compare items whatever their key order. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
};

/** What an order keeps for life: these must be identical in the restored copy whatever happened since. */
const IMMUTABLE_ORDER_FIELDS = [
  'orderId',
  'amount',
  'currency',
  'items',
  'createdAt',
  'mode',
  'customerEncrypted',
  'phoneHash',
];

const compareOrder = (restored: Item, source: Item | undefined): string | undefined => {
  const orderId = str(restored, 'orderId') ?? str(restored, 'pk') ?? '?';
  if (!source) return `order ${orderId} is in the backup but not in the table`;
  const restoredVersion = num(restored, 'version') ?? 0;
  const sourceVersion = num(source, 'version') ?? 0;
  if (sourceVersion < restoredVersion) {
    return `order ${orderId} is at version ${restoredVersion} in the backup but ${sourceVersion} in the table`;
  }
  const fields =
    sourceVersion === restoredVersion ? Object.keys({ ...restored, ...source }) : IMMUTABLE_ORDER_FIELDS;
  const differing = fields.filter((field) => canonical(restored[field]) !== canonical(source[field]));
  return differing.length === 0
    ? undefined
    : `order ${orderId} differs from the table in ${differing.join(', ')}`;
};

/** The orders of the restored copy to check one by one (up to `sampleSize`, from a scan of the copy). */
const sampleOrders = async (ctx: DrillContext, table: string, cutoff: string): Promise<Item[]> => {
  const sample: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await ctx.dynamodb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#entity = :order AND #createdAt <= :cutoff',
        ExpressionAttributeNames: { '#entity': 'entity', '#createdAt': 'createdAt' },
        ExpressionAttributeValues: { ':order': S('order'), ':cutoff': S(cutoff) },
        ExclusiveStartKey: startKey,
      }),
    );
    sample.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey && sample.length < RESTORE_DRILL.sampleSize);
  return sample.slice(0, RESTORE_DRILL.sampleSize);
};

/**
 * Compares the restored copy with the table: the orders and audit events written before the restore point (minus
 * a minute of write skew) must be exactly as many in both (neither is ever deleted), and a sample of orders must
 * match the table (identical if untouched since, same immutable fields if they moved on).
 */
export const verifyRestore = async (ctx: DrillContext, run: DrillRun): Promise<DrillCheck[]> => {
  const cutoff = new Date(Date.parse(run.restoredTo) - RESTORE_DRILL.writeSkewSeconds * 1000).toISOString();
  const checks: DrillCheck[] = [];
  const byEntity = (entity: string, stamp: string) => ({
    expression: '#entity = :entity AND #stamp <= :cutoff',
    names: { '#entity': 'entity', '#stamp': stamp },
    values: { ':entity': S(entity), ':cutoff': S(cutoff) },
  });
  for (const [label, entity, stamp] of [
    ['orders', 'order', 'createdAt'],
    ['audit events', 'audit', 'at'],
  ] as const) {
    const [restored, source] = await Promise.all([
      scanCount(ctx, run.scratchTable, byEntity(entity, stamp)),
      scanCount(ctx, ctx.tableName, byEntity(entity, stamp)),
    ]);
    checks.push({
      name: `${label} before ${cutoff}: same count`,
      ok: restored === source,
      detail: `backup ${restored}, table ${source}`,
    });
  }
  const [restoredTotal, sourceTotal] = await Promise.all([
    scanCount(ctx, run.scratchTable),
    scanCount(ctx, ctx.tableName),
  ]);
  checks.push({
    name: 'items in all (information: TTL and later writes make them differ)',
    ok: true,
    detail: `backup ${restoredTotal}, table ${sourceTotal}`,
  });

  const sample = await sampleOrders(ctx, run.scratchTable, cutoff);
  const problems: string[] = [];
  for (const restored of sample) {
    const pk = restored.pk;
    const sk = restored.sk;
    if (!pk || !sk) continue;
    const source = await ctx.dynamodb.send(
      new GetItemCommand({ TableName: ctx.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    const problem = compareOrder(restored, source.Item);
    if (problem) problems.push(problem);
  }
  checks.push({
    name: `sample of ${sample.length} orders matches the table`,
    ok: problems.length === 0,
    detail: problems.length === 0 ? 'all match' : problems.slice(0, 5).join('; '),
  });
  return checks;
};

/** Deletes the scratch table; one already gone is fine. True when it is gone. */
const deleteScratch = async (ctx: DrillContext, table: string): Promise<boolean> => {
  try {
    await ctx.dynamodb.send(new DeleteTableCommand({ TableName: table }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return true;
    ctx.telemetry.error('restore drill could not delete its scratch table', {
      table,
      reason: describe(error),
    });
    return false;
  }
};

const finish = async (ctx: DrillContext, run: DrillRun, checks: DrillCheck[]): Promise<DrillResult> => {
  const scratchDeleted = await deleteScratch(ctx, run.scratchTable);
  const finishedAt = ctx.clock.now();
  const all = [
    ...checks,
    {
      name: 'scratch table deleted',
      ok: scratchDeleted,
      detail: scratchDeleted ? run.scratchTable : `delete ${run.scratchTable} by hand`,
    },
  ];
  const result: DrillResult = {
    ...run,
    ok: all.every((check) => check.ok),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(run.startedAt),
    checks: all,
    scratchDeleted,
  };
  await putRun(ctx, run, result.ok ? 'succeeded' : 'failed', result);
  const summary = {
    ok: result.ok,
    scratchTable: run.scratchTable,
    durationMs: result.durationMs,
    failed: all.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`),
  };
  if (result.ok) ctx.telemetry.info('restore drill finished', summary);
  else ctx.telemetry.error('restore drill failed', summary);
  return result;
};

/**
 * Waits (within the budget) for a started restore, then verifies, deletes the copy and records the verdict.
 * `'restoring'` when the restore is still running and young enough to wait for on a later invocation.
 */
export const finishRestore = async (
  ctx: DrillContext,
  run: DrillRun,
  budgetMs: number,
  options: { readonly lastChance?: boolean } = {},
): Promise<DrillResult | 'restoring'> => {
  let active: boolean;
  try {
    active = await waitActive(ctx, run.scratchTable, budgetMs);
  } catch (error) {
    return finish(ctx, run, [{ name: 'restored table became active', ok: false, detail: describe(error) }]);
  }
  if (!active) {
    const hours = (ctx.clock.now().getTime() - Date.parse(run.startedAt)) / 3_600_000;
    if (hours < RESTORE_DRILL.maxRestoreHours && !options.lastChance) return 'restoring';
    return finish(ctx, run, [
      {
        name: 'restored table became active',
        ok: false,
        detail: `still restoring after ${hours.toFixed(1)} h`,
      },
    ]);
  }
  let checks: DrillCheck[];
  try {
    checks = [
      { name: 'restored table became active', ok: true, detail: run.scratchTable },
      ...(await verifyRestore(ctx, run)),
    ];
  } catch (error) {
    checks = [{ name: 'restored copy compared with the table', ok: false, detail: describe(error) }];
  }
  return finish(ctx, run, checks);
};

/** A drill that could not even start: recorded and reported like any failed drill. */
const failedToStart = async (ctx: DrillContext, error: unknown): Promise<DrillResult> => {
  const now = ctx.clock.now().toISOString();
  const run: DrillRun = { scratchTable: '-', restoredTo: '-', startedAt: now };
  const result: DrillResult = {
    ...run,
    ok: false,
    finishedAt: now,
    durationMs: 0,
    checks: [{ name: 'restore started', ok: false, detail: describe(error) }],
    scratchDeleted: true,
  };
  ctx.telemetry.error('restore drill could not start', { reason: describe(error) });
  try {
    await putRun(ctx, run, 'failed', result);
  } catch (recordError) {
    ctx.telemetry.error('restore drill could not record its failure', { reason: describe(recordError) });
  }
  return result;
};

/** The whole drill in one go (`npm run restore-drill`): start, wait as long as a restore may take, verify, clean up. */
export const runFullDrill = async (ctx: DrillContext): Promise<DrillResult> => {
  let run: DrillRun;
  try {
    run = await startRestore(ctx);
  } catch (error) {
    return failedToStart(ctx, error);
  }
  const result = await finishRestore(ctx, run, RESTORE_DRILL.maxRestoreHours * 3_600_000, {
    lastChance: true,
  });
  if (result === 'restoring') throw new Error('unreachable: a last-chance wait always ends the drill');
  return result;
};

/**
 * One scheduled step of the monthly drill. The restore can outlive a Lambda invocation, so the schedule invokes
 * the function several times on drill day and each invocation picks up where the run stands: nothing this month →
 * start one; a run restoring → wait for it (within `waitBudgetMs`) and finish it; a finished run → nothing to do.
 */
export const runDrillStep = async (
  ctx: DrillContext,
  waitBudgetMs: number = RESTORE_DRILL.waitBudgetMs,
): Promise<DrillResult | 'restoring' | 'done-this-month'> => {
  const month = ctx.clock.now().toISOString().slice(0, 7);
  const latest = (await recentRuns(ctx, 1))[0];
  if (latest?.startedAt.startsWith(month)) {
    if (latest.status !== 'restoring') return 'done-this-month';
    return finishRestore(ctx, latest, waitBudgetMs);
  }
  let run: DrillRun;
  try {
    run = await startRestore(ctx);
  } catch (error) {
    return failedToStart(ctx, error);
  }
  return finishRestore(ctx, run, waitBudgetMs);
};

/**
 * Days since the last successful drill (the daily "drill missing" heartbeat): `undefined`-free on purpose, a stage
 * that never passed a drill reports `RESTORE_DRILL.overdueAfterDays + 1`, so its alarm fires until it does.
 */
export const daysSinceLastSuccess = async (ctx: DrillContext): Promise<number> => {
  const runs = await recentRuns(ctx, 24);
  const success = runs.find((run) => run.status === 'succeeded');
  const at = success?.finishedAt ?? success?.startedAt;
  if (!at) return RESTORE_DRILL.overdueAfterDays + 1;
  return Math.floor((ctx.clock.now().getTime() - Date.parse(at)) / 86_400_000);
};
