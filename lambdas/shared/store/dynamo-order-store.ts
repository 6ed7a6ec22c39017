import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../contract/table';
import type { AuditEvent, LimitHold, Order } from '../domain/order';
import type { BookedOrder, PaymentStore, TransitionRequest, TransitionResult } from '../domain/ports';
import { releaseItems } from './dynamo-limit-store';
import {
  blockedKeys,
  bookingKey,
  bookingKeys,
  orderKey,
  ownerKey,
  referenceKey,
  statusGroupKey,
  statusGroupKeys,
  type TransactItem,
} from './keys';
import { isConditionFailure, MUST_RECORD, retryWrite, type WriteFailure } from './write-retry';

const NOT_IN_DOMAIN = [
  'pk',
  'sk',
  'entity',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
  'gsi5pk',
  'gsi5sk',
  'audit',
];
const strip = <T>(item: Record<string, unknown>): T => {
  const copy = { ...item };
  for (const key of NOT_IN_DOMAIN) delete copy[key];
  return copy as T;
};

/** An audit event as kept inside its order item: the order id is the item's. */
type StoredEvent = Omit<AuditEvent, 'orderId'>;
const stored = ({ orderId: _, ...event }: AuditEvent): StoredEvent => event;
const eventsOf = (item: Record<string, unknown>, orderId: string): AuditEvent[] =>
  ((item.audit as StoredEvent[] | undefined) ?? []).map((event) => ({ orderId, ...event }));

type OrderStore = Pick<
  PaymentStore,
  | 'getOrder'
  | 'getOrderWithAudit'
  | 'findOrderIdByToken'
  | 'putNewOrder'
  | 'deleteUnstartedOrder'
  | 'transition'
  | 'listOpen'
  | 'listUnpaid'
  | 'listBooked'
  | 'listBlocked'
  | 'listRefunding'
  | 'listByReference'
  | 'listByOwner'
>;

/**
 * Orders. Every change of an order is ONE conditional write of its item that also appends the audit event to the
 * item's own trail, so the trail can never disagree with the order, and a settlement costs one single-item
 * write. Only a change that gives daily-limit shares back is a transaction (the order and its slices, so a
 * share is never given back twice). Each write carries a fresh audit event id: when a write's answer is lost
 * and its retry fails the version condition, the order is re-read and the id tells whether the write landed.
 */
export const createDynamoOrderStore = (client: DynamoDBDocumentClient, tableName: string): OrderStore => {
  const readItem = async (orderId: string) =>
    (
      await client.send(
        new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }),
      )
    ).Item;

  const landed = async (orderId: string, eventId: string): Promise<boolean> => {
    const item = await readItem(orderId);
    return eventsOf(item ?? {}, orderId).some((event) => event.id === eventId);
  };

  async function* queryAll(
    index: string,
    keyName: string,
    keys: readonly string[],
    range?: { readonly condition: string; readonly values: Record<string, string> },
  ): AsyncGenerator<Record<string, unknown>> {
    for (const key of keys) {
      let startKey: QueryCommandOutput['LastEvaluatedKey'];
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: index,
            KeyConditionExpression: `${keyName} = :key${range ? ` AND ${range.condition}` : ''}`,
            ExpressionAttributeValues: { ':key': key, ...(range?.values ?? {}) },
            ExclusiveStartKey: startKey,
          }),
        );
        yield* page.Items ?? [];
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  const ids = async function* (items: AsyncIterable<Record<string, unknown>>) {
    for await (const item of items) if (typeof item.orderId === 'string') yield { orderId: item.orderId };
  };

  return {
    async getOrder(orderId) {
      const item = await readItem(orderId);
      return item ? strip<Order>(item) : undefined;
    },

    async getOrderWithAudit(orderId) {
      const item = await readItem(orderId);
      if (!item) return undefined;
      return { order: strip<Order>(item), audit: eventsOf(item, orderId) };
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

    async putNewOrder(order, audit) {
      const group = statusGroupKey(order);
      try {
        await retryWrite(
          'create order',
          () =>
            client.send(
              new PutCommand({
                TableName: tableName,
                Item: {
                  ...orderKey(order.orderId),
                  entity: 'order',
                  ...order,
                  audit: [stored(audit)],
                  ...(group ? { gsi2pk: group, gsi2sk: `${order.createdAt}#${order.orderId}` } : {}),
                  ...(order.reference
                    ? { gsi4pk: referenceKey(order.reference), gsi4sk: `${order.createdAt}#${order.orderId}` }
                    : {}),
                  ...(order.owner
                    ? { gsi5pk: ownerKey(order.owner), gsi5sk: `${order.createdAt}#${order.orderId}` }
                    : {}),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            ),
          { canRetryLostAnswer: true },
        );
        return 'created';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return (await landed(order.orderId, audit.id)) ? 'created' : 'exists';
      }
    },

    async deleteUnstartedOrder(orderId, hold?: LimitHold) {
      const remove = {
        TableName: tableName,
        Key: orderKey(orderId),
        // Also when the order was never written (its write failed): the shares are still given back.
        ConditionExpression: 'attribute_not_exists(pk) OR (#status = :created AND #version = :one)',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: { ':created': 'CREATED', ':one': 1 },
      };
      // One token across retries after a lost answer, so DynamoDB applies the give-back once.
      let token = randomUUID();
      let previous: WriteFailure | undefined;
      try {
        await retryWrite<unknown>(
          'undo order',
          () => {
            if (previous !== undefined && previous !== 'unknown') token = randomUUID();
            return hold && hold.shares.length > 0
              ? client.send(
                  new TransactWriteCommand({
                    ClientRequestToken: token,
                    TransactItems: [{ Delete: remove }, ...releaseItems(tableName, hold)],
                  }),
                )
              : client.send(new DeleteCommand(remove));
          },
          { canRetryLostAnswer: true, onFailure: (kind) => (previous = kind) },
        );
      } catch (error) {
        // The order moved on: it is someone else's to finish, shares included.
        if (!isConditionFailure(error)) throw error;
      }
    },

    async transition(request: TransitionRequest): Promise<TransitionResult> {
      const { order, to, set = {} } = request;
      const event: AuditEvent = {
        id: randomUUID(),
        orderId: order.orderId,
        version: order.version + 1,
        at: request.at,
        from: order.status,
        ...request.audit,
        to,
      };
      const names: Record<string, string> = {
        '#status': 'status',
        '#version': 'version',
        '#updatedAt': 'updatedAt',
        '#audit': 'audit',
      };
      const values: Record<string, unknown> = {
        ':from': order.status,
        ':to': to,
        ':expected': order.version,
        ':next': order.version + 1,
        ':at': request.at,
        ':event': [stored(event)],
        ':none': [],
      };
      const sets = [
        '#status = :to',
        '#version = :next',
        '#updatedAt = :at',
        '#audit = list_append(if_not_exists(#audit, :none), :event)',
      ];
      const removes: string[] = [];
      for (const [field, value] of Object.entries(set)) {
        if (value === undefined) continue;
        names[`#${field}`] = field;
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
      const group = statusGroupKey({
        orderId: order.orderId,
        status: to,
        refunds: set.refunds ?? order.refunds,
      });
      if (group !== statusGroupKey(order)) {
        if (group) {
          values[':gsi2pk'] = group;
          values[':gsi2sk'] = `${order.createdAt}#${order.orderId}`;
          sets.push('gsi2pk = :gsi2pk', 'gsi2sk = :gsi2sk');
        } else {
          removes.push('gsi2pk', 'gsi2sk');
        }
      }
      const bookedDay = set.bookedDay ?? order.bookedDay;
      if (set.bookedDay && set.bookedDay !== order.bookedDay && bookedDay) {
        values[':gsi3pk'] = bookingKey(bookedDay, order.orderId);
        values[':gsi3sk'] = order.orderId;
        sets.push('gsi3pk = :gsi3pk', 'gsi3sk = :gsi3sk');
      }
      if (set.token) {
        values[':gsi1pk'] = `TOKEN#${set.token}`;
        values[':gsi1sk'] = 'ORDER';
        sets.push('gsi1pk = :gsi1pk', 'gsi1sk = :gsi1sk');
      }
      const hold = order.limit;
      const release = request.releaseLimit === true && hold !== undefined && hold.releasedAt === undefined;
      if (release && !set.limit) {
        names['#limit'] = 'limit';
        names['#releasedAt'] = 'releasedAt';
        sets.push('#limit.#releasedAt = :at');
      }
      const update: UpdateCommandInput = {
        TableName: tableName,
        Key: orderKey(order.orderId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: '#status = :from AND #version = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      };
      const budget = to === 'PENDING' && set.token ? MUST_RECORD : undefined;
      try {
        await retryWrite<unknown>(
          `order ${order.status} → ${to}`,
          () =>
            release && hold
              ? client.send(
                  new TransactWriteCommand({
                    TransactItems: [
                      { Update: update as NonNullable<TransactItem['Update']> },
                      ...releaseItems(tableName, hold),
                    ],
                  }),
                )
              : client.send(new UpdateCommand(update)),
          { canRetryLostAnswer: true, ...(budget ? { budget } : {}) },
        );
        return 'applied';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return (await landed(order.orderId, event.id)) ? 'applied' : 'stale';
      }
    },

    listOpen: (createdBefore) =>
      ids(
        queryAll(TABLE.indexes.byStatus.name, 'gsi2pk', statusGroupKeys('OPEN'), {
          condition: 'gsi2sk < :before',
          values: { ':before': createdBefore },
        }),
      ),

    listUnpaid: (createdAfter, createdBefore) =>
      ids(
        queryAll(TABLE.indexes.byStatus.name, 'gsi2pk', statusGroupKeys('UNPAID'), {
          condition: 'gsi2sk BETWEEN :after AND :before',
          values: { ':after': createdAfter, ':before': createdBefore },
        }),
      ),

    listRefunding: () => ids(queryAll(TABLE.indexes.byStatus.name, 'gsi2pk', statusGroupKeys('REFUNDING'))),

    listByReference: (reference) =>
      ids(queryAll(TABLE.indexes.byReference.name, 'gsi4pk', [referenceKey(reference)])),

    async listByOwner(owner, limit, after) {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE.indexes.byOwner.name,
          KeyConditionExpression: 'gsi5pk = :owner',
          ExpressionAttributeValues: { ':owner': ownerKey(owner) },
          ScanIndexForward: false,
          Limit: limit,
          // Rebuilt from the caller's own key and the position alone: a cursor can never point into another
          // customer's orders.
          ...(after
            ? {
                ExclusiveStartKey: {
                  gsi5pk: ownerKey(owner),
                  gsi5sk: `${after.createdAt}#${after.orderId}`,
                  ...orderKey(after.orderId),
                },
              }
            : {}),
        }),
      );
      const orderIds = (page.Items ?? []).map((item) => String(item.orderId));
      const last = page.LastEvaluatedKey;
      const [createdAt, orderId] = String(last?.gsi5sk ?? '').split('#');
      return { orderIds, ...(last && createdAt && orderId ? { next: { createdAt, orderId } } : {}) };
    },

    async *listBooked(day) {
      for await (const item of queryAll(TABLE.indexes.byDay.name, 'gsi3pk', bookingKeys(day))) {
        yield strip<BookedOrder>(item);
      }
    },

    async *listBlocked(day) {
      for await (const item of queryAll(TABLE.indexes.byDay.name, 'gsi3pk', blockedKeys(day))) {
        const reasons = Array.isArray(item.reasons) ? (item.reasons as { rule?: unknown }[]) : [];
        yield {
          blockId: String(item.blockId),
          rules: reasons.map((reason) => String(reason.rule)),
        };
      }
    },
  };
};
