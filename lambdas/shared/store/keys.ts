import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../contract/table';
import { isOpenRefund, type Order } from '../domain/order';

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
export const refundCapKey = (day: string) => ({ pk: `REFUNDCAP#${day}`, sk: 'REFUNDCAP' });
export const referenceKey = (reference: string) => `REF#${reference}`;
export const ownerKey = (owner: string) => `OWNER#${owner}`;

/** FNV-1a of the order id: a stable shard, so every write of an order computes its index keys alone. */
export const shardOf = (orderId: string, shards: number): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < orderId.length; i++) {
    hash ^= orderId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
};

/**
 * The work an order still waits for, as its byStatus group: OPEN (CREATED, PENDING: reconcile confirms it), UNPAID
 * (ended unpaid: re-checked for late payments), REFUNDING (a refund REQUESTED or SUBMITTED: reconcile resumes it),
 * An order that waits for nothing here is in no group (paid orders awaiting ticketing's acknowledgement are found
 * through the byDay index, which holds them anyway: a group of their own would cost every payment a write).
 */
export type StatusGroup = 'OPEN' | 'UNPAID' | 'REFUNDING';

export type GroupedState = Pick<Order, 'status' | 'refunds'>;

export const groupOf = (order: GroupedState): StatusGroup | undefined => {
  switch (order.status) {
    case 'CREATED':
    case 'PENDING':
      return 'OPEN';
    case 'FAILED':
    case 'CANCELLED':
    case 'EXPIRED':
      return 'UNPAID';
    // No invoice was made, so there is nothing to re-check with PayDunya.
    case 'INITIATION_FAILED':
      return undefined;
    default:
      return Object.values(order.refunds ?? {}).some(isOpenRefund) ? 'REFUNDING' : undefined;
  }
};

export const statusGroupKey = (order: GroupedState & Pick<Order, 'orderId'>): string | undefined => {
  const group = groupOf(order);
  return group && `${group}#${shardOf(order.orderId, TABLE.shards.index)}`;
};

export const statusGroupKeys = (group: StatusGroup): string[] =>
  Array.from({ length: TABLE.shards.index }, (_, shard) => `${group}#${shard}`);

export const bookingKey = (day: string, orderId: string): string =>
  `BOOK#${day}#${shardOf(orderId, TABLE.shards.index)}`;

/**
 * A blocked checkout's audit record in the byDay index (`BLOCKED#<day>#<n>`, sharded like the bookings: an attack
 * blocking many checkouts spreads over the shards): the daily report counts the day's blocks by rule from here.
 */
export const blockedKey = (day: string, blockId: string): string =>
  `BLOCKED#${day}#${shardOf(blockId, TABLE.shards.index)}`;

export const blockedKeys = (day: string): string[] =>
  Array.from({ length: TABLE.shards.index }, (_, shard) => `BLOCKED#${day}#${shard}`);

export const bookingKeys = (day: string): string[] =>
  Array.from({ length: TABLE.shards.index }, (_, shard) => `BOOK#${day}#${shard}`);
