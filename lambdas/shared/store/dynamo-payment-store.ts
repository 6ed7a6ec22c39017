import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LIMITS } from '../contract/routes';
import { ITEM_PREFIX, TABLE } from '../contract/table';
import {
  type AuditEvent,
  dayOf,
  isUnpaid,
  ORDER_STATUSES,
  type Order,
  type OrderStatus,
} from '../domain/order';
import type {
  CreateOrderRequest,
  CreateOrderResult,
  DailyAggregate,
  IdempotencyOutcome,
  IdempotencyRecord,
  PaymentStore,
  TransitionRequest,
  TransitionResult,
} from '../domain/ports';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
const auditKey = (orderId: string, version: number) => ({
  pk: `ORDER#${orderId}`,
  sk: `AUDIT#${String(version).padStart(10, '0')}`,
});
const idempotencyKey = (keyHash: string) => ({ pk: `IDEM#${keyHash}`, sk: 'IDEM' });
const statusIndexKeys = (order: Pick<Order, 'status' | 'createdAt' | 'orderId'>) => ({
  gsi2pk: `STATUS#${order.status}`,
  gsi2sk: `${order.createdAt}#${order.orderId}`,
});

const dayKey = (day: string) => ({ pk: `DAY#${day}`, sk: 'AGG' });
const limitKey = (day: string) => ({ pk: `LIMIT#${day}`, sk: 'LIMIT' });
const attemptsKey = (phoneHash: string, windowStart: number) => ({
  pk: `ATTEMPTS#${phoneHash}`,
  sk: `W#${windowStart}`,
});
const reportKey = (day: string) => ({ pk: `REPORT#${day}`, sk: 'REPORT' });
/** An alert claim outlives its window by a week: long enough to report what it suppressed. */
const ALERT_CLAIM_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/**
 * Builds one `ADD` update of the day's counters. Attribute names are flat (`c#PENDING`, `mc#orange-money-burkina`)
 * because ADD cannot create a nested path whose parent map does not exist yet.
 */
class CounterUpdate {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, number> = {};
  private readonly parts: string[] = [];

  add(attribute: string, delta: number): this {
    if (delta === 0) return this;
    const i = this.parts.length;
    this.names[`#a${i}`] = attribute;
    this.values[`:v${i}`] = delta;
    this.parts.push(`#a${i} :v${i}`);
    return this;
  }

  get empty(): boolean {
    return this.parts.length === 0;
  }

  toItem(tableName: string, key: Record<string, string>): TransactItem {
    return {
      Update: {
        TableName: tableName,
        Key: key,
        UpdateExpression: `ADD ${this.parts.join(', ')}`,
        ExpressionAttributeNames: this.names,
        ExpressionAttributeValues: this.values,
      },
    };
  }
}

const CONFLICT_RETRIES = 8;
const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 15 * 2 ** Math.min(attempt, 5)));

const ORDER_ATTRIBUTES_NOT_IN_DOMAIN = [
  'pk',
  'sk',
  'entity',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'expiresAt',
];
const strip = <T>(item: Record<string, unknown>): T => {
  const copy = { ...item };
  for (const key of ORDER_ATTRIBUTES_NOT_IN_DOMAIN) delete copy[key];
  return copy as T;
};

const auditItem = (event: AuditEvent) => ({
  ...auditKey(event.orderId, event.version),
  entity: 'audit',
  ...event,
});

/**
 * Why a transaction was cancelled: the first item's failed condition means the order (or key) moved on;
 * a TransactionConflict means another transaction held the item and the caller may re-read and try again.
 */
const cancellation = (error: unknown): 'condition' | 'conflict' | undefined => {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
  if (codes[0] === 'ConditionalCheckFailed') return 'condition';
  if (codes.includes('TransactionConflict')) return 'conflict';
  return undefined;
};

/** Index of the first item whose condition failed, if that is why the transaction was cancelled. */
const failedConditionAt = (error: unknown): number =>
  error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).findIndex((reason) => reason.Code === 'ConditionalCheckFailed')
    : -1;

const idempotencyWrite = (tableName: string, outcome: IdempotencyOutcome): TransactItem =>
  outcome.kind === 'complete'
    ? {
        Update: {
          TableName: tableName,
          Key: idempotencyKey(outcome.keyHash),
          UpdateExpression: 'SET #response = :response',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#response': 'response' },
          ExpressionAttributeValues: { ':response': outcome.response },
        },
      }
    : { Delete: { TableName: tableName, Key: idempotencyKey(outcome.keyHash) } };

/** How a transition moves the counters of the day the order was created. */
const dayCounters = ({ order, to, set }: TransitionRequest): CounterUpdate => {
  const counters = new CounterUpdate();
  if (to !== order.status) {
    counters.add(`c#${order.status}`, -1).add(`s#${order.status}`, -order.amount);
    counters.add(`c#${to}`, 1).add(`s#${to}`, order.amount);
  }
  const method = set?.paymentMethod ?? order.paymentMethod ?? 'unknown';
  if (to === 'COMPLETED' && order.status !== 'COMPLETED')
    counters.add(`mc#${method}`, 1).add(`ms#${method}`, order.amount);
  if (order.status === 'COMPLETED' && to !== 'COMPLETED')
    counters.add(`mc#${method}`, -1).add(`ms#${method}`, -order.amount);
  const wasPending = order.review?.status === 'PENDING';
  const isPending = set?.review ? set.review.status === 'PENDING' : wasPending;
  if (wasPending !== isPending) counters.add('reviewPending', isPending ? 1 : -1);
  if (set?.discrepancy) counters.add('discrepancies', 1);
  return counters;
};

const toAggregate = (day: string, item: Record<string, unknown>): DailyAggregate => {
  const counts: Partial<Record<OrderStatus, number>> = {};
  const sums: Partial<Record<OrderStatus, number>> = {};
  for (const status of ORDER_STATUSES) {
    const count = Number(item[`c#${status}`] ?? 0);
    if (count !== 0) {
      counts[status] = count;
      sums[status] = Number(item[`s#${status}`] ?? 0);
    }
  }
  const methods: Record<string, { count: number; sum: number }> = {};
  for (const [key, value] of Object.entries(item)) {
    if (!key.startsWith('mc#') || Number(value) === 0) continue;
    const method = key.slice(3);
    methods[method] = { count: Number(value), sum: Number(item[`ms#${method}`] ?? 0) };
  }
  return {
    day,
    counts,
    sums,
    methods,
    discrepancies: Number(item.discrepancies ?? 0),
    reviewPending: Number(item.reviewPending ?? 0),
  };
};

/** PaymentStore on one DynamoDB table (see contract/table.ts for the item layout). */
export const createDynamoPaymentStore = (
  client: DynamoDBDocumentClient,
  tableName: string,
): PaymentStore => ({
  async getOrder(orderId) {
    const result = await client.send(
      new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }),
    );
    return result.Item ? strip<Order>(result.Item) : undefined;
  },

  async getOrderWithAudit(orderId) {
    const items: Record<string, unknown>[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `ORDER#${orderId}` },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const orderItem = items.find((item) => item.sk === 'ORDER');
    if (!orderItem) return undefined;
    const audit = items
      .filter((item) => typeof item.sk === 'string' && item.sk.startsWith('AUDIT#'))
      .map((item) => strip<AuditEvent>(item))
      .sort((a, b) => a.version - b.version);
    return { order: strip<Order>(orderItem), audit };
  },

  async findOrderIdByToken(token) {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: TABLE.indexes.byToken.name,
        KeyConditionExpression: 'gsi1pk = :token',
        ExpressionAttributeValues: { ':token': `TOKEN#${token}` },
        Limit: 1,
      }),
    );
    const orderId = result.Items?.[0]?.orderId;
    return typeof orderId === 'string' ? orderId : undefined;
  },

  async getIdempotencyRecord(keyHash) {
    const result = await client.send(
      new GetCommand({ TableName: tableName, Key: idempotencyKey(keyHash), ConsistentRead: true }),
    );
    return result.Item ? strip<IdempotencyRecord>(result.Item) : undefined;
  },

  async createOrder({
    order,
    idempotency,
    audit,
    dailyLimit,
    attempts,
  }: CreateOrderRequest): Promise<CreateOrderResult> {
    const expiresAt = Math.floor(Date.parse(idempotency.createdAt) / 1000) + LIMITS.idempotencyTtlSeconds;
    const day = dayOf(order.createdAt);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: tableName,
          Item: { ...idempotencyKey(idempotency.keyHash), entity: 'idempotency', ...idempotency, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: { ...orderKey(order.orderId), entity: 'order', ...statusIndexKeys(order), ...order },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: auditItem(audit),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      new CounterUpdate()
        .add(`c#${order.status}`, 1)
        .add(`s#${order.status}`, order.amount)
        .toItem(tableName, dayKey(day)),
    ];
    let limitIndex = -1;
    if (dailyLimit) {
      limitIndex = items.length;
      items.push({
        Update: {
          TableName: tableName,
          Key: limitKey(day),
          UpdateExpression: 'ADD reservedXof :amount, reservedCount :one',
          // Checked against the totals before this order: with it, neither may go over the limit.
          ConditionExpression:
            '(attribute_not_exists(reservedXof) OR reservedXof <= :room) AND (attribute_not_exists(reservedCount) OR reservedCount < :maxCount)',
          ExpressionAttributeValues: {
            ':amount': order.amount,
            ':one': 1,
            ':room': dailyLimit.maxXof - order.amount,
            ':maxCount': dailyLimit.maxCount,
          },
        },
      });
    }
    let attemptsIndex = -1;
    if (attempts) {
      attemptsIndex = items.length;
      items.push({
        Update: {
          TableName: tableName,
          Key: attemptsKey(attempts.phoneHash, attempts.windowStart),
          UpdateExpression: 'ADD attempts :one SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(attempts) OR attempts < :max',
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': attempts.max,
            ':expiresAt': attempts.windowStart + attempts.windowSeconds * 2,
          },
        },
      });
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'created';
      } catch (error) {
        const failedAt = failedConditionAt(error);
        if (failedAt === 0) return 'key-taken';
        if (failedAt >= 0 && failedAt === limitIndex) return 'daily-limit';
        if (failedAt >= 0 && failedAt === attemptsIndex) return 'attempt-limit';
        const reasons =
          error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
        // A concurrent request with the same key holds the idempotency record: it wins, we replay it.
        if (reasons[0]?.Code === 'TransactionConflict') return 'key-taken';
        // The day's counters and limit are hot items: other orders' transactions collide with ours. Retry.
        if (cancellation(error) === 'conflict' && attempt < CONFLICT_RETRIES) {
          await pause(attempt);
          continue;
        }
        throw error;
      }
    }
  },

  async transition(request: TransitionRequest): Promise<TransitionResult> {
    const { order, to } = request;
    const next = order.version + 1;
    const names: Record<string, string> = {
      '#status': 'status',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = {
      ':from': order.status,
      ':to': to,
      ':expected': order.version,
      ':next': next,
      ':at': request.at,
      ':gsi2pk': `STATUS#${to}`,
    };
    const sets = ['#status = :to', '#version = :next', '#updatedAt = :at', 'gsi2pk = :gsi2pk'];
    for (const [field, value] of Object.entries(request.set ?? {})) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    if (request.set?.token) {
      values[':gsi1pk'] = `TOKEN#${request.set.token}`;
      values[':gsi1sk'] = 'ORDER';
      sets.push('gsi1pk = :gsi1pk', 'gsi1sk = :gsi1sk');
    }
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tableName,
          Key: orderKey(order.orderId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#status = :from AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: auditItem({
            orderId: order.orderId,
            version: next,
            at: request.at,
            from: order.status,
            to,
            ...request.audit,
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    const counters = dayCounters(request);
    if (!counters.empty) items.push(counters.toItem(tableName, dayKey(dayOf(order.createdAt))));
    if (order.limitReserved && isUnpaid(to) && !isUnpaid(order.status)) {
      items.push(
        new CounterUpdate()
          .add('reservedXof', -order.amount)
          .add('reservedCount', -1)
          .toItem(tableName, limitKey(dayOf(order.createdAt))),
      );
    }
    if (request.idempotency) items.push(idempotencyWrite(tableName, request.idempotency));
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return 'applied';
    } catch (error) {
      const reason = cancellation(error);
      if (reason === 'condition') return 'stale';
      if (reason === 'conflict') return 'contended';
      throw error;
    }
  },

  async getDailyLimitUsage(day) {
    const result = await client.send(
      new GetCommand({ TableName: tableName, Key: limitKey(day), ConsistentRead: true }),
    );
    return {
      reservedXof: Number(result.Item?.reservedXof ?? 0),
      reservedCount: Number(result.Item?.reservedCount ?? 0),
    };
  },

  async claimLimitWarning(day, level) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: limitKey(day),
          UpdateExpression: 'SET #level = :at',
          ConditionExpression: 'attribute_not_exists(#level)',
          ExpressionAttributeNames: { '#level': `warned${level}` },
          ExpressionAttributeValues: { ':at': new Date().toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  },

  async getDailyAggregate(day) {
    const result = await client.send(
      new GetCommand({ TableName: tableName, Key: dayKey(day), ConsistentRead: true }),
    );
    return toAggregate(day, result.Item ?? {});
  },

  async *listByStatus(status, createdBefore, createdAfter) {
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE.indexes.byStatus.name,
          KeyConditionExpression: createdAfter
            ? 'gsi2pk = :status AND gsi2sk BETWEEN :after AND :before'
            : 'gsi2pk = :status AND gsi2sk < :before',
          ExpressionAttributeValues: {
            ':status': `STATUS#${status}`,
            ':before': createdBefore,
            ...(createdAfter ? { ':after': createdAfter } : {}),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.orderId === 'string') yield { orderId: item.orderId };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  },

  async putReport(day, report) {
    await client.send(
      new PutCommand({ TableName: tableName, Item: { ...reportKey(day), entity: 'report', day, report } }),
    );
  },

  async getReport(day) {
    const result = await client.send(
      new GetCommand({ TableName: tableName, Key: reportKey(day), ConsistentRead: true }),
    );
    return result.Item?.report;
  },

  async claimAlert(key, nowSeconds, windowSeconds) {
    const alertKey = { pk: `${ITEM_PREFIX.alert}${key}`, sk: 'ALERT' };
    try {
      // Only the first writer of a window wins; the old item (if any) says how many were suppressed before.
      const result = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: alertKey,
          UpdateExpression:
            'SET #entity = :entity, windowEndsAt = :ends, suppressed = :zero, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(windowEndsAt) OR windowEndsAt <= :now',
          ExpressionAttributeNames: { '#entity': 'entity', '#expiresAt': TABLE.ttlAttribute },
          ExpressionAttributeValues: {
            ':entity': 'alert',
            ':ends': nowSeconds + windowSeconds,
            ':zero': 0,
            ':now': nowSeconds,
            // Kept a week past its window, so the suppressed count reaches the next alert of the same key.
            ':expiresAt': nowSeconds + windowSeconds + ALERT_CLAIM_RETENTION_SECONDS,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { claimed: true, suppressedBefore: Number(result.Attributes?.suppressed ?? 0) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: alertKey,
        UpdateExpression: 'ADD suppressed :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    return { claimed: false, suppressedBefore: 0 };
  },
});
