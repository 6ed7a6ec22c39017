import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../contract/table';
import type { OrderStatus } from '../domain/order';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
export const idempotencyKey = (keyHash: string) => ({ pk: `IDEM#${keyHash}`, sk: 'IDEM' });
export const limitShardKey = (day: string, shard: number) => ({ pk: `LIMIT#${day}#${shard}`, sk: 'LIMIT' });
export const limitWarningKey = (day: string) => ({ pk: `LIMITWARN#${day}`, sk: 'LIMITWARN' });
export const attemptsKey = (phoneHash: string, windowStart: number) => ({
  pk: `ATTEMPTS#${phoneHash}`,
  sk: `W#${windowStart}`,
});
export const reportKey = (day: string) => ({ pk: `REPORT#${day}`, sk: 'REPORT' });

/** FNV-1a of the order id: a stable shard, so every write of an order computes its index keys alone. */
export const shardOf = (orderId: string, shards: number): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < orderId.length; i++) {
    hash ^= orderId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
};

/** Which byStatus group an order in this status belongs to; paid orders are in none. */
const STATUS_GROUP: Readonly<Record<OrderStatus, 'OPEN' | 'UNPAID' | undefined>> = {
  CREATED: 'OPEN',
  PENDING: 'OPEN',
  FAILED: 'UNPAID',
  CANCELLED: 'UNPAID',
  EXPIRED: 'UNPAID',
  // No invoice was made, so there is nothing to re-check with PayDunya.
  INITIATION_FAILED: undefined,
  COMPLETED: undefined,
  REFUND_REQUESTED: undefined,
  REFUNDED: undefined,
};

export const statusGroupKey = (status: OrderStatus, orderId: string): string | undefined => {
  const group = STATUS_GROUP[status];
  return group && `${group}#${shardOf(orderId, TABLE.shards.index)}`;
};

export const statusGroupKeys = (group: 'OPEN' | 'UNPAID'): string[] =>
  Array.from({ length: TABLE.shards.index }, (_, shard) => `${group}#${shard}`);

export const bookingKey = (day: string, orderId: string): string =>
  `BOOK#${day}#${shardOf(orderId, TABLE.shards.index)}`;

export const bookingKeys = (day: string): string[] =>
  Array.from({ length: TABLE.shards.index }, (_, shard) => `BOOK#${day}#${shard}`);
