import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PaymentStore } from '../domain/ports';
import { createDynamoLimitStore } from './dynamo-limit-store';
import { createDynamoOrderStore } from './dynamo-order-store';
import { createDynamoRecordsStore } from './dynamo-records-store';

/**
 * PaymentStore on one DynamoDB table (contract/table.ts has the item layout): orders, daily limits and
 * attempts, and the small records (idempotency, reports, alert claims), each in its own module.
 */
export const createDynamoPaymentStore = (
  client: DynamoDBDocumentClient,
  tableName: string,
): PaymentStore => ({
  ...createDynamoOrderStore(client, tableName),
  ...createDynamoLimitStore(client, tableName),
  ...createDynamoRecordsStore(client, tableName),
});
