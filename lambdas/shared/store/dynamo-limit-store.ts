import { randomInt, randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../contract/table';
import { StoreBusyError } from '../domain/errors';
import type { LimitHold, LimitShare } from '../domain/order';
import type { DailyLimitSettings, DailyLimitUsage, PaymentStore, Reservation } from '../domain/ports';
import { attemptsKey, limitShardKey, limitWarningKey, refundCapKey, type TransactItem } from './keys';
import { isConditionFailure, retryWrite, type WriteFailure } from './write-retry';

const SHARDS = TABLE.shards.dailyLimit;
/** Rounds of read-then-reserve when the first slice tried is full and others race for the rest. */
const PLAN_ROUNDS = 12;

interface Slice {
  readonly xof: number;
  readonly count: number;
}

/** Each slice's part of the day's limit; the parts add up to the limit exactly. */
export const shardCaps = (limit: DailyLimitSettings): Slice[] =>
  Array.from({ length: SHARDS }, (_, shard) => ({
    xof: Math.floor(limit.maxXof / SHARDS) + (shard < limit.maxXof % SHARDS ? 1 : 0),
    count: Math.floor(limit.maxCount / SHARDS) + (shard < limit.maxCount % SHARDS ? 1 : 0),
  }));

/** Gives shares back: one `ADD` of the negated amounts per slice, for a transaction that ends the hold. */
export const releaseItems = (tableName: string, hold: LimitHold): TransactItem[] =>
  hold.shares.map((share) => ({
    Update: {
      TableName: tableName,
      Key: limitShardKey(hold.day, share.shard),
      UpdateExpression: 'ADD usedXof :xof, usedCount :count',
      ExpressionAttributeValues: { ':xof': -share.xof, ':count': -share.count },
    },
  }));

/** A slice update that only happens if the slice keeps within its part of the limit. */
const takeFromSlice = (tableName: string, day: string, share: LimitShare, cap: Slice): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: limitShardKey(day, share.shard),
    UpdateExpression: 'ADD usedXof :xof, usedCount :count',
    ConditionExpression:
      share.count > 0
        ? '(attribute_not_exists(usedXof) OR usedXof <= :room) AND (attribute_not_exists(usedCount) OR usedCount <= :countRoom)'
        : 'attribute_not_exists(usedXof) OR usedXof <= :room',
    ExpressionAttributeValues: {
      ':xof': share.xof,
      ':count': share.count,
      ':room': cap.xof - share.xof,
      ...(share.count > 0 ? { ':countRoom': cap.count - share.count } : {}),
    },
  },
});

/**
 * Splits an order over the slices that still have room: one slice gives the order its count, the amount comes
 * from as few slices as possible. Undefined when the day cannot hold it.
 */
const plan = (amount: number, room: readonly Slice[]): LimitShare[] | undefined => {
  const order = room
    .map((slice, shard) => ({ shard, xof: Math.max(0, slice.xof), count: Math.max(0, slice.count) }))
    .sort((a, b) => b.xof - a.xof);
  const counted = order.find((slice) => slice.count >= 1);
  if (!counted) return undefined;
  const shares: LimitShare[] = [];
  let left = amount;
  for (const slice of [counted, ...order.filter((s) => s !== counted)]) {
    const xof = Math.min(slice.xof, left);
    if (xof > 0 || slice === counted)
      shares.push({ shard: slice.shard, xof, count: slice === counted ? 1 : 0 });
    left -= xof;
    if (left === 0) break;
  }
  return left === 0 ? shares : undefined;
};

type LimitStore = Pick<
  PaymentStore,
  | 'reserveDailyLimit'
  | 'addToDailyLimit'
  | 'getDailyLimitUsage'
  | 'giveBackDailyLimit'
  | 'claimLimitWarning'
  | 'takeRefundCap'
  | 'countAttempt'
  | 'uncountAttempt'
>;

/**
 * The daily limit as TABLE.shards.dailyLimit slices, each holding its part of the limit. A checkout takes its
 * share from one random slice with a single conditional write (single-item writes queue on DynamoDB instead of
 * conflicting, and the day's writes spread over the slices); only when that slice is full does it read every
 * slice and take from those with room, in one transaction. Every slice stays within its part, so the day never
 * goes over the limit by one XOF or one order.
 */
export const createDynamoLimitStore = (client: DynamoDBDocumentClient, tableName: string): LimitStore => {
  const readSlices = async (day: string): Promise<Slice[]> => {
    const used: Slice[] = Array.from({ length: SHARDS }, () => ({ xof: 0, count: 0 }));
    let keys: Record<string, unknown>[] = Array.from({ length: SHARDS }, (_, shard) =>
      limitShardKey(day, shard),
    );
    for (let round = 0; keys.length > 0; round++) {
      if (round > 5) throw new StoreBusyError('read daily limit', 'throttled');
      const result = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[tableName] ?? []) {
        const shard = Number(String(item.pk).split('#')[2]);
        used[shard] = { xof: Number(item.usedXof ?? 0), count: Number(item.usedCount ?? 0) };
      }
      keys = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
      if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
    }
    return used;
  };

  /** One slice, one conditional write; the slice's fill afterwards (0..1), or undefined if it had no room. */
  const takeWhole = async (day: string, share: LimitShare, cap: Slice): Promise<number | undefined> => {
    const item = takeFromSlice(tableName, day, share, cap).Update;
    if (!item) return undefined;
    try {
      const result = await retryWrite('reserve daily limit', () =>
        client.send(new UpdateCommand({ ...item, ReturnValues: 'UPDATED_NEW' })),
      );
      const used = result.Attributes ?? {};
      return Math.max(Number(used.usedXof ?? 0) / cap.xof, Number(used.usedCount ?? 0) / cap.count);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };

  return {
    async reserveDailyLimit(day, amount, limit) {
      const caps = shardCaps(limit);
      const first = randomInt(SHARDS);
      const firstCap = caps[first] as Slice;
      if (firstCap.xof >= amount && firstCap.count >= 1) {
        const fill = await takeWhole(day, { shard: first, xof: amount, count: 1 }, firstCap);
        if (fill !== undefined) {
          return {
            kind: 'reserved',
            hold: { day, shares: [{ shard: first, xof: amount, count: 1 }] },
            shardFill: fill,
          };
        }
      }
      for (let round = 0; round < PLAN_ROUNDS; round++) {
        const used = await readSlices(day);
        const room = caps.map((cap, shard) => ({
          xof: cap.xof - (used[shard]?.xof ?? 0),
          count: cap.count - (used[shard]?.count ?? 0),
        }));
        const shares = plan(amount, room);
        if (!shares) return { kind: 'full' } satisfies Reservation;
        const hold: LimitHold = { day, shares };
        const fill = Math.max(
          ...shares.map((share) => {
            const cap = caps[share.shard] as Slice;
            const after = used[share.shard] as Slice;
            return Math.max(
              (after.xof + share.xof) / cap.xof,
              (after.count + share.count) / Math.max(1, cap.count),
            );
          }),
        );
        if (shares.length === 1) {
          const share = shares[0] as LimitShare;
          if ((await takeWhole(day, share, caps[share.shard] as Slice)) !== undefined) {
            return { kind: 'reserved', hold, shardFill: fill };
          }
          continue;
        }
        try {
          await retryWrite('reserve daily limit', () =>
            client.send(
              new TransactWriteCommand({
                TransactItems: shares.map((share) =>
                  takeFromSlice(tableName, day, share, caps[share.shard] as Slice),
                ),
              }),
            ),
          );
          return { kind: 'reserved', hold, shardFill: fill };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, randomInt(5, 25 * (round + 1))));
      }
      // Others kept taking the room this order was planned into: the day is nearly full and very busy.
      throw new StoreBusyError('reserve daily limit', 'conflict');
    },

    async addToDailyLimit(day, amount) {
      const shard = randomInt(SHARDS);
      await retryWrite('count payment in daily limit', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: limitShardKey(day, shard),
            UpdateExpression: 'ADD usedXof :xof, usedCount :one',
            ExpressionAttributeValues: { ':xof': amount, ':one': 1 },
          }),
        ),
      );
      return { day, shares: [{ shard, xof: amount, count: 1 }] };
    },

    async giveBackDailyLimit(hold) {
      if (hold.shares.length === 0) return;
      // The same token after a lost answer: DynamoDB applies a TransactWriteItems with one token once (10 minutes).
      let token = randomUUID();
      let previous: WriteFailure | undefined;
      await retryWrite(
        'give back daily limit',
        () => {
          if (previous !== undefined && previous !== 'unknown') token = randomUUID();
          return client.send(
            new TransactWriteCommand({
              ClientRequestToken: token,
              TransactItems: releaseItems(tableName, hold),
            }),
          );
        },
        { canRetryLostAnswer: true, onFailure: (kind) => (previous = kind) },
      );
    },

    async getDailyLimitUsage(day): Promise<DailyLimitUsage> {
      const used = await readSlices(day);
      return {
        reservedXof: used.reduce((sum, slice) => sum + slice.xof, 0),
        reservedCount: used.reduce((sum, slice) => sum + slice.count, 0),
      };
    },

    async claimLimitWarning(day, level) {
      // Every checkout past the level asks; a read first keeps the writes to the one that claims it.
      const seen = await client.send(new GetCommand({ TableName: tableName, Key: limitWarningKey(day) }));
      if (seen.Item?.[`warned${level}`]) return false;
      try {
        await retryWrite(
          'claim limit warning',
          () =>
            client.send(
              new UpdateCommand({
                TableName: tableName,
                Key: limitWarningKey(day),
                UpdateExpression: 'SET #level = :at',
                ConditionExpression: 'attribute_not_exists(#level)',
                ExpressionAttributeNames: { '#level': `warned${level}` },
                ExpressionAttributeValues: { ':at': new Date().toISOString() },
              }),
            ),
          { canRetryLostAnswer: true },
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async takeRefundCap(day, amount, cap) {
      if (amount > cap) return false;
      try {
        // Not retried after a lost answer: a second ADD could count the amount twice (stricter, but wrong).
        await retryWrite('take refund cap', () =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: refundCapKey(day),
              UpdateExpression: 'ADD #xof :amount',
              // DynamoDB conditions cannot add: "used + amount <= cap" is "used <= cap - amount".
              ConditionExpression: 'attribute_not_exists(#xof) OR #xof <= :room',
              ExpressionAttributeNames: { '#xof': 'xof' },
              ExpressionAttributeValues: { ':amount': amount, ':room': cap - amount },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async countAttempt(phoneHash, windowStart, windowSeconds, max) {
      try {
        await retryWrite('count attempt', () =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: attemptsKey(phoneHash, windowStart),
              UpdateExpression: 'ADD attempts :one SET expiresAt = :expiresAt',
              ConditionExpression: 'attribute_not_exists(attempts) OR attempts < :max',
              ExpressionAttributeValues: {
                ':one': 1,
                ':max': max,
                ':expiresAt': windowStart + windowSeconds * 2,
              },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async uncountAttempt(phoneHash, windowStart) {
      await retryWrite('uncount attempt', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: attemptsKey(phoneHash, windowStart),
            UpdateExpression: 'ADD attempts :minusOne',
            ExpressionAttributeValues: { ':minusOne': -1 },
          }),
        ),
      );
    },
  };
};
