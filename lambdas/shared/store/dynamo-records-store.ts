import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LIMITS } from '../contract/routes';
import { ITEM_PREFIX, TABLE } from '../contract/table';
import { canonicalJson } from '../domain/canonical-json';
import type { IdempotencyRecord, PaymentStore } from '../domain/ports';
import { idempotencyKey, reportKey } from './keys';
import { isConditionFailure, retryWrite } from './write-retry';

/** An alert claim outlives its window by a week: long enough to report what it suppressed. */
const ALERT_CLAIM_RETENTION_SECONDS = 7 * 24 * 60 * 60;

type RecordsStore = Pick<
  PaymentStore,
  | 'findIdempotencyRecord'
  | 'claimIdempotencyKey'
  | 'releaseIdempotencyKey'
  | 'getReport'
  | 'putReport'
  | 'claimAlert'
>;

/** Idempotency records, report revisions and alert claims: small items, each written by few requests. */
export const createDynamoRecordsStore = (client: DynamoDBDocumentClient, tableName: string): RecordsStore => {
  const readRecord = async (keyHash: string, consistent = true) => {
    const result = await client.send(
      new GetCommand({ TableName: tableName, Key: idempotencyKey(keyHash), ConsistentRead: consistent }),
    );
    const item = result.Item;
    return item
      ? ({
          keyHash,
          requestHash: String(item.requestHash),
          orderId: String(item.orderId),
          createdAt: String(item.createdAt),
        } satisfies IdempotencyRecord)
      : undefined;
  };

  return {
    findIdempotencyRecord: (keyHash) => readRecord(keyHash, false),

    async claimIdempotencyKey(record) {
      const expiresAt = Math.floor(Date.parse(record.createdAt) / 1000) + LIMITS.idempotencyTtlSeconds;
      for (;;) {
        try {
          await retryWrite(
            'claim idempotency key',
            () =>
              client.send(
                new PutCommand({
                  TableName: tableName,
                  Item: { ...idempotencyKey(record.keyHash), entity: 'idempotency', ...record, expiresAt },
                  ConditionExpression: 'attribute_not_exists(pk)',
                }),
              ),
            { canRetryLostAnswer: true },
          );
          return { claimed: true };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        const existing = await readRecord(record.keyHash);
        // Ours: the first try landed and its answer was lost.
        if (existing?.orderId === record.orderId) return { claimed: true };
        if (existing) return { claimed: false, existing };
        // Released between our write and our read: try again.
      }
    },

    async releaseIdempotencyKey(keyHash, orderId) {
      try {
        await retryWrite(
          'release idempotency key',
          () =>
            client.send(
              new DeleteCommand({
                TableName: tableName,
                Key: idempotencyKey(keyHash),
                ConditionExpression: 'attribute_not_exists(pk) OR orderId = :orderId',
                ExpressionAttributeValues: { ':orderId': orderId },
              }),
            ),
          { canRetryLostAnswer: true },
        );
      } catch (error) {
        // The key already points at a newer order: not ours to release.
        if (!isConditionFailure(error)) throw error;
      }
    },

    async getReport(day) {
      const result = await client.send(
        new GetCommand({ TableName: tableName, Key: reportKey(day), ConsistentRead: true }),
      );
      return result.Item
        ? { revision: Number(result.Item.revision ?? 1), report: result.Item.report }
        : undefined;
    },

    async putReport(day, revision, report) {
      try {
        await retryWrite(
          'store report',
          () =>
            client.send(
              new PutCommand({
                TableName: tableName,
                Item: { ...reportKey(day), entity: 'report', day, revision, report },
                ConditionExpression:
                  revision === 1
                    ? 'attribute_not_exists(pk)'
                    : 'attribute_exists(pk) AND revision = :previous',
                ...(revision === 1 ? {} : { ExpressionAttributeValues: { ':previous': revision - 1 } }),
              }),
            ),
          { canRetryLostAnswer: true },
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // A lost answer whose retry found its own revision stored counts as stored.
        const current = await client.send(
          new GetCommand({ TableName: tableName, Key: reportKey(day), ConsistentRead: true }),
        );
        return (
          Number(current.Item?.revision) === revision &&
          canonicalJson(current.Item?.report) === canonicalJson(report)
        );
      }
    },

    async claimAlert(key, nowSeconds, windowSeconds) {
      const alertKey = { pk: `${ITEM_PREFIX.alert}${key}`, sk: 'ALERT' };
      try {
        // Only the first writer of a window wins; the old item (if any) says how many were suppressed before.
        const result = await retryWrite('claim alert', () =>
          client.send(
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
                ':expiresAt': nowSeconds + windowSeconds + ALERT_CLAIM_RETENTION_SECONDS,
              },
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        return { claimed: true, suppressedBefore: Number(result.Attributes?.suppressed ?? 0) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      await retryWrite('count suppressed alert', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: alertKey,
            UpdateExpression: 'ADD suppressed :one',
            ExpressionAttributeValues: { ':one': 1 },
          }),
        ),
      );
      return { claimed: false, suppressedBefore: 0 };
    },
  };
};
