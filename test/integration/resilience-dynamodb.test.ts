import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import type { PaymentStore, TransitionRequest } from '../../lambdas/shared/domain/ports';
import { createDocumentClient } from '../../lambdas/shared/store/dynamo-client';
import { createDynamoPaymentStore } from '../../lambdas/shared/store/dynamo-payment-store';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { bodyOf } from '../support/json';
import { type Harness, startHarness } from './harness';

describe('DynamoDB client settings (against a stand-in DynamoDB endpoint)', () => {
  let server: Server;
  let endpoint = '';
  let answer: (req: IncomingMessage, res: ServerResponse, attempt: number) => void = () => undefined;
  const seen: { target: string; token?: string; at: number }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const json = JSON.parse(body || '{}') as { ClientRequestToken?: string };
        seen.push({
          target: String(req.headers['x-amz-target']),
          token: json.ClientRequestToken,
          at: Date.now(),
        });
        answer(req, res, seen.length);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    seen.length = 0;
    server.closeAllConnections();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(body));
  };
  const throttled = (res: ServerResponse) =>
    reply(res, 400, {
      __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
      message: 'Rate of requests exceeds the allowed throughput.',
    });
  const transaction = () =>
    new TransactWriteCommand({
      TransactItems: [{ Put: { TableName: 't', Item: { pk: 'ORDER#1', sk: 'ORDER' } } }],
    });

  it('throttling is retried, 3 attempts in all, each with the same ClientRequestToken (so a retry cannot apply twice)', async () => {
    answer = (_req, res) => throttled(res);
    const client = createDocumentClient({ ...LOCAL_AWS, endpoint });
    await expect(client.send(transaction())).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: expect.objectContaining({ attempts: 3 }),
    });
    expect(seen.map((s) => s.target)).toEqual(Array(3).fill('DynamoDB_20120810.TransactWriteItems'));
    const tokens = new Set(seen.map((s) => s.token));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/^[0-9a-f-]{36}$/);
    client.destroy();
  });

  it('an attempt with no answer is cut after 2 s and retried', async () => {
    answer = (_req, res, attempt) => {
      if (attempt > 1) reply(res, 200, {});
    };
    const client = createDocumentClient({ ...LOCAL_AWS, endpoint });
    const started = Date.now();
    await client.send(transaction());
    const elapsed = Date.now() - started;
    expect(seen).toHaveLength(2);
    expect(seen[0]?.token).toBe(seen[1]?.token);
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(4_000);
    client.destroy();
  });

  it('a cancelled transaction (failed condition) is an answer: never retried', async () => {
    answer = (_req, res) =>
      reply(res, 400, {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message:
          'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]',
        CancellationReasons: [{ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }],
      });
    const client = createDocumentClient({ ...LOCAL_AWS, endpoint });
    await expect(client.send(transaction())).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(seen).toHaveLength(1);
    client.destroy();
  });
});

/** What the next store operation should suffer; armed by a test, used once. */
type StoreFault =
  | { readonly kind: 'stop-before-update' }
  | { readonly kind: 'answer-lost-after-update' }
  | { readonly kind: 'dynamodb'; readonly on: 'write' | 'read'; readonly error: () => Error };

let fault: StoreFault | undefined;
const take = <K extends StoreFault['kind']>(kind: K): Extract<StoreFault, { kind: K }> | undefined => {
  if (fault?.kind !== kind) return undefined;
  const armed = fault as Extract<StoreFault, { kind: K }>;
  fault = undefined;
  return armed;
};

/**
 * A fault injector around the real store on DynamoDB Local: below the store, the document client can fail a
 * transaction or a read the way DynamoDB does (so the store's own classification runs); above it, `transition`
 * can stop before the write or lose the answer after it.
 */
const withFaults = (_harnessStore: PaymentStore, table: { name: string; endpoint: string }): PaymentStore => {
  const documents = createDocumentClient({ ...LOCAL_AWS, endpoint: table.endpoint });
  const send = documents.send.bind(documents) as (command: unknown) => Promise<unknown>;
  documents.send = ((command: unknown) => {
    const on =
      command instanceof TransactWriteCommand || command instanceof UpdateCommand
        ? 'write'
        : command instanceof GetCommand
          ? 'read'
          : undefined;
    if (fault?.kind === 'dynamodb' && fault.on === on) {
      const armed = take('dynamodb');
      if (armed) return Promise.reject(armed.error());
    }
    return send(command);
  }) as typeof documents.send;
  const store = createDynamoPaymentStore(documents, table.name);
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'transition') return Reflect.get(target, property, receiver);
      return async (request: TransitionRequest) => {
        if (request.to === 'COMPLETED' && take('stop-before-update')) {
          throw new Error('the process stopped between "PayDunya says completed" and "order updated"');
        }
        const result = await target.transition(request);
        if (request.to === 'COMPLETED' && result === 'applied' && take('answer-lost-after-update')) {
          throw new Error('the connection dropped after DynamoDB applied the transaction');
        }
        return result;
      };
    },
  });
};

describe('an accepted IPN is never lost when the store fails', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ wrapStore: withFaults });
  });
  afterEach(() => {
    fault = undefined;
    h.sim.faults.reset();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const trail = async (orderId: string) =>
    ((await bodyOf(await h.get(orderId))).events as { to: string }[]).map((e) => e.to);

  /** PayDunya says completed, the store fails as armed: the IPN must get a 5xx, and the redelivery finish it once. */
  const payWithFault = async (armed: StoreFault, orderUpdated: boolean) => {
    const { orderId, token } = await h.createOrder();
    const completed = h.telemetry.counted(METRICS.paymentCompleted);
    fault = armed;

    const first = await h.sim.settle(token, 'completed');
    expect(first.ipnStatuses).toHaveLength(1);
    expect(first.ipnStatuses[0]).toBeGreaterThanOrEqual(500);
    expect(fault).toBeUndefined();
    expect(await trail(orderId)).toEqual(
      orderUpdated ? ['CREATED', 'PENDING', 'COMPLETED'] : ['CREATED', 'PENDING'],
    );

    expect(await h.sim.resendIpn(token)).toBe(200);
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
    // Counted once when this process saw the write applied; when the answer was lost, the redelivery finds it
    // done and counts nothing (the audit trail and the daily counters, written in the transaction, are exact).
    expect(h.telemetry.counted(METRICS.paymentCompleted)).toBe(completed + (orderUpdated ? 0 : 1));
  };

  it('the process stops between "PayDunya says completed" and "order updated": 5xx, and the retry completes it exactly once', async () => {
    await payWithFault({ kind: 'stop-before-update' }, false);
  });

  it('the order was updated but the answer was lost: 5xx, and the retry is a duplicate (still one transition)', async () => {
    await payWithFault({ kind: 'answer-lost-after-update' }, true);
  });

  /** A throttle that the SDK gave up on is retried by the store: the IPN is answered 200 at once, paid once. */
  const payThroughThrottle = async (error: () => Error) => {
    const { orderId, token } = await h.createOrder();
    fault = { kind: 'dynamodb', on: 'write', error };
    expect((await h.sim.settle(token, 'completed')).ipnStatuses).toEqual([200]);
    expect(fault).toBeUndefined();
    expect(await h.sim.resendIpn(token)).toBe(200);
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
  };

  it('the settlement write is throttled (ThrottlingException after the SDK retries): the store retries it, 200 at once, completed once', async () => {
    await payThroughThrottle(
      () =>
        new ProvisionedThroughputExceededException({
          message: 'The level of configured provisioned throughput for the table was exceeded.',
          $metadata: { attempts: 3 },
        }),
    );
  });

  it('DynamoDB cannot be read while the order is looked up: 5xx, then completed once', async () => {
    await payWithFault(
      {
        kind: 'dynamodb',
        on: 'read',
        error: () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }),
      },
      false,
    );
  });

  it('a failed condition is told apart from a fault: the lost race is re-read and the IPN gets 200 at once', async () => {
    const { orderId, token } = await h.createOrder();
    fault = {
      kind: 'dynamodb',
      on: 'write',
      error: () =>
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    };
    const first = await h.sim.settle(token, 'completed');
    expect(first.ipnStatuses).toEqual([200]);
    expect(fault).toBeUndefined();
    expect(await trail(orderId)).toEqual(['CREATED', 'PENDING', 'COMPLETED']);
  });
});
