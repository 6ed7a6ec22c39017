import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/shared/store/dynamo-client';
import { ensureTable } from '../../local/create-table';
import { attachDynamoFaults, type DynamoFaultOptions, type DynamoFaults } from '../../local/dynamo-faults';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { LOCAL_TABLE, localContextOptions, localDynamo, parseLocalEnv } from '../../local/local-env';
import { localIssuerAuth } from '../../local/local-issuer';
import { type Harness, startHarness } from './harness';

let endpoint = '';
const tableName = `it-faults-${randomUUID()}`;
let admin: DynamoDBClient;
/** A client with no injector: what is really in the table. */
let plain: DynamoDBDocumentClient;
const clients: DynamoDBDocumentClient[] = [];

beforeAll(async () => {
  endpoint = inject('dynamoEndpoint');
  admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureTable(admin, tableName);
  plain = createDocumentClient({ ...LOCAL_AWS, endpoint });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(() => {
  plain?.destroy();
  admin?.destroy();
});

/** The production client settings (3 attempts, standard retries) on DynamoDB Local, with an injector. */
const faulty = (
  options: DynamoFaultOptions = {},
  config: DynamoDBClientConfig = {},
): { documents: DynamoDBDocumentClient; faults: DynamoFaults } => {
  const documents = createDocumentClient({ ...LOCAL_AWS, endpoint, ...config });
  clients.push(documents);
  return { documents, faults: attachDynamoFaults(documents, options) };
};

const read = async (pk: string, sk: string) =>
  (await plain.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

const itemsUnder = async (pk: string) =>
  (
    await plain.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const put = (pk: string, sk: string, fields: Record<string, unknown> = {}) =>
  new PutCommand({ TableName: tableName, Item: { pk, sk, ...fields } });

const increment = (pk: string, sk: string) =>
  new UpdateCommand({
    TableName: tableName,
    Key: { pk, sk },
    UpdateExpression: 'ADD writes :one',
    ExpressionAttributeValues: { ':one': 1 },
  });

const transaction = (items: TransactWriteCommandInput['TransactItems']) =>
  new TransactWriteCommand({ TransactItems: items });

const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('injected DynamoDB failures reach the caller as DynamoDB sends them', () => {
  it("an injected TransactionConflict reaches the caller as TransactionCanceledException with the conflicting item's index, and nothing is written", async () => {
    const { documents, faults } = faulty();
    const id = randomUUID();
    faults.inject({ pk: `ORDER#${id}`, error: 'TransactionConflict' });

    const error = await failure(
      documents.send(
        transaction([
          { Put: { TableName: tableName, Item: { pk: `IDEM#${id}`, sk: 'IDEM' } } },
          { Put: { TableName: tableName, Item: { pk: `ORDER#${id}`, sk: 'ORDER', status: 'CREATED' } } },
          {
            Update: {
              TableName: tableName,
              Key: { pk: `LIMIT#${id}`, sk: 'LIMIT' },
              UpdateExpression: 'ADD used :amount',
              ExpressionAttributeValues: { ':amount': 15000 },
            },
          },
        ]),
      ),
    );

    expect(error).toBeInstanceOf(TransactionCanceledException);
    const cancelled = error as TransactionCanceledException;
    expect(cancelled.CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
      { Code: 'None' },
    ]);
    expect(cancelled.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict, None]',
    );
    expect(cancelled.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
    expect(cancelled.$metadata.requestId).toMatch(/^[A-Z0-9]{52}$/);
    expect(await read(`IDEM#${id}`, 'IDEM')).toBeUndefined();
    expect(await read(`ORDER#${id}`, 'ORDER')).toBeUndefined();
    expect(await read(`LIMIT#${id}`, 'LIMIT')).toBeUndefined();
    expect(faults.log).toEqual([
      {
        operation: 'TransactWriteItems',
        error: 'TransactionConflict',
        pks: [`IDEM#${id}`, `ORDER#${id}`, `LIMIT#${id}`],
      },
    ]);
  });

  it('an injected TransactionConflictException on a single write is not retried by the SDK and writes nothing', async () => {
    const { documents, faults } = faulty();
    const pk = `ORDER#${randomUUID()}`;
    faults.inject({ error: 'TransactionConflictException' });

    const error = await failure(documents.send(increment(pk, 'ORDER')));

    expect(error).toBeInstanceOf(TransactionConflictException);
    expect(error).toMatchObject({
      message: 'Transaction is ongoing for the item',
      $metadata: expect.objectContaining({ httpStatusCode: 400, attempts: 1 }),
    });
    expect(await read(pk, 'ORDER')).toBeUndefined();
    expect(faults.counts().TransactionConflictException).toBe(1);
  });

  it('injected throttling is retried by the SDK like a real throttle: two throttles then success writes once', async () => {
    const { documents, faults } = faulty();
    const pk = `ORDER#${randomUUID()}`;
    faults.inject({ error: 'ThrottlingException', times: 2 });

    const result = await documents.send(increment(pk, 'ORDER'));

    expect(result.$metadata.attempts).toBe(3);
    // Standard mode waits at least a moment between attempts: the retries went through the SDK's backoff.
    expect(result.$metadata.totalRetryDelay).toBeGreaterThan(0);
    expect(await read(pk, 'ORDER')).toEqual({ pk, sk: 'ORDER', writes: 1 });
    expect(faults.counts()).toMatchObject({ ThrottlingException: 2, AnswerLost: 0 });
  });

  it("three throttles exhaust the SDK's 3 attempts", async () => {
    const { documents, faults } = faulty();
    const pk = `ORDER#${randomUUID()}`;
    faults.inject({ error: 'ThrottlingException', times: 3 });

    const error = await failure(documents.send(increment(pk, 'ORDER')));

    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).$metadata.attempts).toBe(3);
    expect((error as ThrottlingException).throttlingReasons).toEqual([
      {
        reason: 'TableWriteKeyRangeThroughputExceeded',
        resource: `arn:aws:dynamodb:local:000000000000:table/${tableName}`,
      },
    ]);
    expect(await read(pk, 'ORDER')).toBeUndefined();
    expect(faults.log).toHaveLength(3);
  });

  it('an injected ProvisionedThroughputExceededException is retried by the SDK like throttling', async () => {
    const { documents, faults } = faulty();
    const pk = `ORDER#${randomUUID()}`;
    faults.inject({ error: 'ProvisionedThroughputExceededException' });

    const result = await documents.send(increment(pk, 'ORDER'));

    expect(result.$metadata.attempts).toBe(2);
    expect(await read(pk, 'ORDER')).toEqual({ pk, sk: 'ORDER', writes: 1 });
    expect(faults.counts().ProvisionedThroughputExceededException).toBe(1);

    faults.inject({ error: 'ProvisionedThroughputExceededException', times: 3 });
    const error = await failure(documents.send(increment(pk, 'ORDER')));
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect((error as ProvisionedThroughputExceededException).$metadata.attempts).toBe(3);
  });

  it('an injected answer-lost write is applied, then retried by the SDK', async () => {
    const { documents, faults } = faulty();
    const pk = `IDEM#${randomUUID()}`;
    faults.inject({ operation: 'PutItem', error: 'AnswerLost' });

    // "Create if absent" is not idempotent: the retry finds the item its own first attempt wrote.
    const error = await failure(
      documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk, sk: 'IDEM', orderId: 'order-1' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).$metadata.attempts).toBe(2);
    expect(await read(pk, 'IDEM')).toEqual({ pk, sk: 'IDEM', orderId: 'order-1' });
    expect(faults.log).toEqual([{ operation: 'PutItem', error: 'AnswerLost', pks: [pk] }]);
  });

  it('an answer-lost transaction is retried with the same ClientRequestToken and DynamoDB applies it once', async () => {
    const { documents, faults } = faulty();
    const pk = `ORDER#${randomUUID()}`;
    faults.inject({ operation: 'TransactWriteItems', error: 'AnswerLost' });

    const result = await documents.send(
      transaction([
        {
          Put: {
            TableName: tableName,
            Item: { pk, sk: 'ORDER', status: 'CREATED' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: { pk: `${pk}#COUNT`, sk: 'COUNT' },
            UpdateExpression: 'ADD writes :one',
            ExpressionAttributeValues: { ':one': 1 },
          },
        },
      ]),
    );

    expect(result.$metadata.attempts).toBe(2);
    expect(await read(pk, 'ORDER')).toEqual({ pk, sk: 'ORDER', status: 'CREATED' });
    expect(await read(`${pk}#COUNT`, 'COUNT')).toEqual({ pk: `${pk}#COUNT`, sk: 'COUNT', writes: 1 });
    expect(faults.counts().AnswerLost).toBe(1);
  });

  it('rules match by operation and partition-key prefix only', async () => {
    const { documents, faults } = faulty();
    const id = randomUUID();
    const hot = `HOT#${id}`;
    faults.inject({ operation: 'UpdateItem', pk: 'HOT#', error: 'TransactionConflictException', times: 2 });
    faults.inject({ operation: 'Query', pk: new RegExp(`^READ#${id}$`), error: 'ThrottlingException' });
    // No operation: the write operations only.
    faults.inject({ pk: `DEFAULT#${id}`, error: 'ThrottlingException' });

    expect((await documents.send(put(hot, 'A'))).$metadata.attempts).toBe(1);
    expect((await documents.send(increment(`COLD#${id}`, 'A'))).$metadata.attempts).toBe(1);
    expect(await failure(documents.send(increment(hot, 'A')))).toBeInstanceOf(TransactionConflictException);
    expect(
      (await documents.send(new GetCommand({ TableName: tableName, Key: { pk: hot, sk: 'A' } }))).Item,
    ).toEqual({ pk: hot, sk: 'A' });

    const query = (pk: string) =>
      documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#key = :pk',
          ExpressionAttributeNames: { '#key': 'pk' },
          ExpressionAttributeValues: { ':pk': pk },
        }),
      );
    expect((await query(`READ#${id}-other`)).$metadata.attempts).toBe(1);
    expect((await query(`READ#${id}`)).$metadata.attempts).toBe(2);

    const getDefault = new GetCommand({ TableName: tableName, Key: { pk: `DEFAULT#${id}`, sk: 'A' } });
    expect((await documents.send(getDefault)).$metadata.attempts).toBe(1);
    expect((await documents.send(put(`DEFAULT#${id}`, 'A'))).$metadata.attempts).toBe(2);

    expect(faults.log).toEqual([
      { operation: 'UpdateItem', error: 'TransactionConflictException', pks: [hot] },
      { operation: 'Query', error: 'ThrottlingException', pks: [`READ#${id}`] },
      { operation: 'PutItem', error: 'ThrottlingException', pks: [`DEFAULT#${id}`] },
    ]);

    // The first rule has one injection left; clear() drops it and keeps the log.
    faults.clear();
    expect((await documents.send(increment(hot, 'A'))).$metadata.attempts).toBe(1);
    expect(await read(hot, 'A')).toEqual({ pk: hot, sk: 'A', writes: 1 });
    expect(faults.log).toHaveLength(3);
  });

  it('a rule DynamoDB could not answer that way is refused', () => {
    const { faults } = faulty();
    expect(() => faults.inject({ operation: 'PutItem', error: 'TransactionConflict' })).toThrow(
      /cancellation reason/,
    );
    expect(() =>
      faults.inject({ operation: 'TransactWriteItems', error: 'TransactionConflictException' }),
    ).toThrow(/TransactionConflict/);
    expect(() => faults.inject({ error: 'ThrottlingException', probability: 2 })).toThrow(/probability/);
  });

  it('probability injection is reproducible with a seed', async () => {
    const run = async (seed: number) => {
      const { documents, faults } = faulty({ seed });
      faults.inject({ operation: 'UpdateItem', error: 'TransactionConflictException', probability: 0.3 });
      const pk = `ORDER#${randomUUID()}`;
      let pattern = '';
      for (let call = 0; call < 40; call += 1) {
        pattern += await documents.send(increment(pk, 'ORDER')).then(
          () => '.',
          (error: unknown) => {
            if (error instanceof TransactionConflictException) return 'x';
            throw error;
          },
        );
      }
      const failed = [...pattern].filter((c) => c === 'x').length;
      expect(faults.counts().TransactionConflictException).toBe(failed);
      expect(await read(pk, 'ORDER')).toMatchObject({ writes: 40 - failed });
      return pattern;
    };

    const first = await run(7);
    expect(await run(7)).toBe(first);
    expect(await run(8)).not.toBe(first);
    const failed = [...first].filter((c) => c === 'x').length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(40);
  });
});

describe('emulated contention and partition limits', () => {
  it('emulated contention: two overlapping transactions on one item, one is cancelled with TransactionConflict', async () => {
    // DynamoDB Local would run them one after the other; holding the keys 200 ms makes them overlap for sure.
    const { documents, faults } = faulty({ emulateContention: { holdMs: 200 } });
    const id = randomUUID();
    const shared = { pk: `LIMIT#${id}`, sk: 'LIMIT' };
    const first = transaction([
      { Put: { TableName: tableName, Item: { ...shared, by: 'first' } } },
      { Put: { TableName: tableName, Item: { pk: `ORDER#${id}-1`, sk: 'ORDER' } } },
    ]);
    const second = transaction([
      { Put: { TableName: tableName, Item: { pk: `ORDER#${id}-2`, sk: 'ORDER' } } },
      { Put: { TableName: tableName, Item: { ...shared, by: 'second' } } },
    ]);

    const [a, b] = await Promise.allSettled([documents.send(first), documents.send(second)]);

    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    const winner = a.status === 'fulfilled' ? 1 : 2;
    const loser = 3 - winner;
    const rejected = (a.status === 'rejected' ? a : b) as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(TransactionCanceledException);
    const conflict = { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' };
    expect((rejected.reason as TransactionCanceledException).CancellationReasons).toEqual(
      loser === 1 ? [conflict, { Code: 'None' }] : [{ Code: 'None' }, conflict],
    );
    expect((rejected.reason as TransactionCanceledException).$metadata.attempts).toBe(1);
    expect(await read(shared.pk, shared.sk)).toEqual({ ...shared, by: winner === 1 ? 'first' : 'second' });
    expect(await read(`ORDER#${id}-${winner}`, 'ORDER')).toBeDefined();
    expect(await read(`ORDER#${id}-${loser}`, 'ORDER')).toBeUndefined();
    expect(faults.counts().TransactionConflict).toBe(1);

    // Once the winner has its answer, its keys are free again.
    expect((await documents.send(loser === 1 ? first : second)).$metadata.attempts).toBe(1);
  });

  it('emulated contention: a single write to an item held by an in-flight transaction fails with TransactionConflictException', async () => {
    const { documents, faults } = faulty({ emulateContention: { holdMs: 600 } });
    const id = randomUUID();
    const held = { pk: `ORDER#${id}`, sk: 'ORDER' };
    const inFlight = documents.send(
      transaction([
        {
          Update: {
            TableName: tableName,
            Key: held,
            UpdateExpression: 'SET #s = :s',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': 'PENDING' },
          },
        },
      ]),
    );
    await sleep(100);

    const error = await failure(documents.send(increment(held.pk, held.sk)));
    expect(error).toBeInstanceOf(TransactionConflictException);
    expect((error as TransactionConflictException).$metadata.attempts).toBe(1);
    // Another item of the same partition is not held.
    expect((await documents.send(increment(held.pk, 'OTHER'))).$metadata.attempts).toBe(1);

    await inFlight;
    expect(await read(held.pk, held.sk)).toEqual({ ...held, status: 'PENDING' });
    expect((await documents.send(increment(held.pk, held.sk))).$metadata.attempts).toBe(1);
    expect(await read(held.pk, held.sk)).toEqual({ ...held, status: 'PENDING', writes: 1 });
    expect(faults.log).toEqual([
      { operation: 'UpdateItem', error: 'TransactionConflictException', pks: [held.pk] },
    ]);
  });

  it('per-partition write limit throttles the hot key and not a cold one', async () => {
    // One attempt, so each throttle is seen rather than retried.
    const { documents, faults } = faulty({ writesPerPartitionPerSecond: 5 }, { maxAttempts: 1 });
    const id = randomUUID();
    const hot = `HOT#${id}`;
    const cold = (n: number) => `COLD#${id}#${n}`;

    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 8 }, (_, n) => documents.send(put(hot, `N#${n}`))),
      ...Array.from({ length: 8 }, (_, n) => documents.send(put(cold(n), 'N'))),
    ]);

    const hotOutcomes = outcomes.slice(0, 8);
    expect(hotOutcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    const throttled = hotOutcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(throttled).toHaveLength(3);
    for (const error of throttled) expect(error).toBeInstanceOf(ThrottlingException);
    expect(outcomes.slice(8).every((o) => o.status === 'fulfilled')).toBe(true);
    expect(await itemsUnder(hot)).toHaveLength(5);
    expect(faults.log.every((entry) => entry.pks.join() === hot)).toBe(true);

    // A second later the partition takes writes again.
    await sleep(1_050);
    expect((await documents.send(put(hot, 'LATER'))).$metadata.attempts).toBe(1);
  });

  it('per-partition write limit cancels a transaction on the hot key with ThrottlingError at the hot item, not retried', async () => {
    const { documents, faults } = faulty({ writesPerPartitionPerSecond: 2 });
    const id = randomUUID();
    const hot = `LIMIT#${id}`;
    await documents.send(increment(hot, 'LIMIT'));
    await documents.send(increment(hot, 'LIMIT'));

    const error = await failure(
      documents.send(
        transaction([
          { Put: { TableName: tableName, Item: { pk: `ORDER#${id}`, sk: 'ORDER' } } },
          {
            Update: {
              TableName: tableName,
              Key: { pk: hot, sk: 'LIMIT' },
              UpdateExpression: 'ADD writes :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ]),
      ),
    );

    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).$metadata.attempts).toBe(1);
    expect((error as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ThrottlingError',
        Message: expect.stringContaining('Throughput exceeds the current capacity'),
      },
    ]);
    expect(await read(`ORDER#${id}`, 'ORDER')).toBeUndefined();
    expect(await read(hot, 'LIMIT')).toMatchObject({ writes: 2 });
    expect(faults.counts().ThrottlingError).toBe(1);
  });
});

describe('the injector in local mode and in the harness', () => {
  it('local mode reads DYNAMODB_ENDPOINT, DYNAMODB_TABLE and DYNAMODB_FAULTS from its environment', () => {
    const files = { secretsFile: 's.json', flagsFile: 'f.json', alertsLog: 'a.log' };
    const urls = { test: 'http://127.0.0.1:1/sandbox-api/v1', live: 'http://127.0.0.1:1/api/v1' };

    const defaults = parseLocalEnv({});
    expect(localDynamo(defaults)).toEqual({
      endpoint: 'http://127.0.0.1:8000',
      tableName: LOCAL_TABLE,
      external: false,
      loopback: true,
      clientConfig: { ...LOCAL_AWS, endpoint: 'http://127.0.0.1:8000' },
    });
    expect(defaults.DYNAMODB_FAULTS).toBeUndefined();

    const faults = {
      emulateContention: { holdMs: 5 },
      rules: [{ error: 'TransactionConflictException', probability: 0.05 }],
    };
    const env = parseLocalEnv({
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9911',
      DYNAMODB_TABLE: 'temba-payments-soak',
      DYNAMODB_FAULTS: JSON.stringify(faults),
    });
    expect(env.DYNAMODB_FAULTS).toEqual(faults);
    expect(localDynamo(env)).toEqual({
      endpoint: 'http://127.0.0.1:9911',
      tableName: 'temba-payments-soak',
      external: true,
      loopback: true,
      clientConfig: { ...LOCAL_AWS, endpoint: 'http://127.0.0.1:9911' },
    });
    expect(localContextOptions(files, urls, localIssuerAuth('http://127.0.0.1:9912'), env)).toMatchObject({
      dynamoEndpoint: 'http://127.0.0.1:9911',
      tableName: 'temba-payments-soak',
    });

    // Off this machine: no dummy credentials, the SDK's own chain signs.
    const remote = localDynamo(
      parseLocalEnv({ DYNAMODB_ENDPOINT: 'https://dynamodb.eu-west-1.amazonaws.com' }),
    );
    expect(remote).toMatchObject({ external: true, loopback: false });
    expect(remote.clientConfig).toEqual({ endpoint: 'https://dynamodb.eu-west-1.amazonaws.com' });

    expect(() => parseLocalEnv({ DYNAMODB_FAULTS: 'holdMs=5' })).toThrow(/not JSON/);
    expect(() => parseLocalEnv({ DYNAMODB_FAULTS: '{"rules":[{"error":"Timeout"}]}' })).toThrow(/error/);
    expect(() => parseLocalEnv({ DYNAMODB_ENDPOINT: '127.0.0.1:8000' })).toThrow(/DYNAMODB_ENDPOINT/);
  });

  describe('a harness with dynamoFaults', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ dynamoFaults: true });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it("exposes the injector of its context's DynamoDB client", async () => {
      expect(h.faults).toBeDefined();
      h.faults?.inject({ operation: ['GetItem', 'Query', 'BatchGetItem'], error: 'ThrottlingException' });
      // A well-formed order id that no order has: the store is asked, throttled once, and answers after a retry.
      const response = await h.get('01HZY3Q8M4W7N6V5T2R1P0KJXA');
      expect(response.status).toBe(404);
      expect(h.faults?.counts().ThrottlingException).toBe(1);
    });
  });
});
