import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Retry and timeout settings for every DynamoDB call, chosen for a payment Lambda with a 20 s timeout:
 *
 * - `maxAttempts: 3` in the SDK's standard mode (exponential backoff with full jitter, 100 ms base, 500 ms for
 *   throttling; a retry quota per client). Throttling, 5xx, resets and timeouts are retried; a
 *   ConditionalCheckFailed or a TransactionCanceledException never is (they are answers, not faults: the store
 *   tells a failed condition from a TransactionConflict and from throttling inside the cancellation, and only the
 *   first two have a meaning for the use cases). Three attempts ride out a throttling burst of about a second
 *   and keep the worst case near 9 s, so the handler still answers, with a 5xx that makes PayDunya or the customer
 *   try again, before Lambda kills it.
 * - Retrying TransactWriteItems is safe: the SDK fills in its ClientRequestToken once per command, so the retry of
 *   a transaction whose answer was lost is recognised by DynamoDB (for 10 minutes) and not applied twice
 *   (test/integration/resilience-dynamodb.test.ts proves the token is reused).
 * - Not `adaptive` mode: its client-side rate limiter learns from throttles per client, and a Lambda container
 *   serves one request at a time and lives minutes, so it would mostly add waits to the first calls.
 * - `requestTimeout: 2 s` per attempt and `throwOnRequestTimeout` (without it the SDK only logs a warning and
 *   waits forever); single-digit milliseconds is DynamoDB's normal, so 2 s means the attempt is lost.
 *   `connectionTimeout: 1 s` for the TCP/TLS handshake. Connections are kept alive by the SDK's own agent.
 */
export const DYNAMO_CLIENT_DEFAULTS = {
  maxAttempts: 3,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
} as const satisfies DynamoDBClientConfig;

/**
 * One document client per container. `removeUndefinedValues` because optional domain fields are simply absent;
 * numbers stay numbers (XOF amounts are integers far below 2^53).
 */
export const createDocumentClient = (config: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ ...DYNAMO_CLIENT_DEFAULTS, ...config }), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
