import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { LIMITS } from '../contract/routes';
import { TABLE } from '../contract/table';
import type { AuditEvent, Order } from '../domain/order';
import type {
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

  async createOrder(order, idempotency, audit) {
    const expiresAt = Math.floor(Date.parse(idempotency.createdAt) / 1000) + LIMITS.idempotencyTtlSeconds;
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...idempotencyKey(idempotency.keyHash),
                  entity: 'idempotency',
                  ...idempotency,
                  expiresAt,
                },
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
          ],
        }),
      );
      return 'created';
    } catch (error) {
      if (cancellation(error)) return 'key-taken';
      throw error;
    }
  },

  async transition(request: TransitionRequest): Promise<TransitionResult> {
    const next = request.expectedVersion + 1;
    const names: Record<string, string> = {
      '#status': 'status',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = {
      ':from': request.from,
      ':to': request.to,
      ':expected': request.expectedVersion,
      ':next': next,
      ':at': request.at,
      ':gsi2pk': `STATUS#${request.to}`,
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
          Key: orderKey(request.orderId),
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
            orderId: request.orderId,
            version: next,
            at: request.at,
            from: request.from,
            to: request.to,
            ...request.audit,
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
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
});
