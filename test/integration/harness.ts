import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand as DocScanCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { DEFAULT_FLAGS, type Flags } from '../../lambdas/shared/contract/flags';
import { DEFAULT_FRAUD_RULES, type FraudRules } from '../../lambdas/shared/contract/fraud';
import { ITEM_PREFIX } from '../../lambdas/shared/contract/table';
import type { AppContext } from '../../lambdas/shared/domain/context';
import type { PaymentStore } from '../../lambdas/shared/domain/ports';
import {
  type CircuitBreakerSettings,
  createPaydunyaCircuit,
  type PaydunyaCircuit,
} from '../../lambdas/shared/platform/circuit-breaker';
import { DYNAMO_CLIENT_DEFAULTS } from '../../lambdas/shared/store/dynamo-client';
import { type ApiServer, startApiServer } from '../../local/api-server';
import { ensureTable } from '../../local/create-table';
import { attachDynamoFaults, type DynamoFaultOptions, type DynamoFaults } from '../../local/dynamo-faults';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { createHttpEventSink } from '../../local/event-sink';
import { freePort } from '../../local/free-port';
import { createLogAlerts, type LocalSecrets } from '../../local/local-adapters';
import { buildLocalContext, LOCAL_STORE } from '../../local/local-context';
import { fraudRulesFileBeside } from '../../local/local-files';
import { type LocalIssuer, startLocalIssuer } from '../../local/local-issuer';
import { type Simulator, startSimulator } from '../../local/paydunya-simulator/simulator';
import { type StreamPoller, startStreamPoller } from '../../local/stream-poller';
import { type EventReceiver, startEventReceiver } from '../support/event-receiver';
import type { Json } from '../support/json';
import { PowertoolsOutput, productionTelemetry, teeTelemetry } from '../support/powertools-output';
import { RecordingTelemetry } from '../support/recording-telemetry';

export const MASTER_KEY = `test-master-${randomBytes(6).toString('hex')}`;

export const validOrder = (overrides: Record<string, unknown> = {}) => ({
  amount: 15000,
  currency: 'XOF',
  customer_email: 'awa.ouedraogo@example.bf',
  customer_phone: '+22670123456',
  customer_name: 'Awa Ouedraogo',
  items: [
    { name: 'Concert - Pass VIP', quantity: 1, unit_price: 10000 },
    { name: 'Parking', quantity: 2, unit_price: 2500 },
  ],
  ...overrides,
});

/** The account the harness's requests are made as, unless a test says otherwise. */
export const DEFAULT_SUBJECT = 'customer-awa';

export interface Harness {
  readonly api: ApiServer;
  /** The local identity provider the API trusts (its keys in this run's temp directory). */
  readonly issuer: LocalIssuer;
  /** A valid token for `subject` (default DEFAULT_SUBJECT), cached per subject. */
  token(subject?: string): Promise<string>;
  readonly sim: Simulator;
  readonly ctx: AppContext;
  readonly telemetry: RecordingTelemetry;
  readonly tableName: string;
  /** The PayDunya circuit breaker the context uses (production settings unless the options say otherwise). */
  readonly circuit: PaydunyaCircuit;
  /** With `powertools: true`: the JSON log lines and EMF documents the real Powertools printed. */
  readonly output: PowertoolsOutput | undefined;
  /** With `dynamoFaults`: the fault injector in the context's DynamoDB client. */
  readonly faults: DynamoFaults | undefined;
  /** POST /payments as DEFAULT_SUBJECT (an `Authorization` in `headers` replaces its token). */
  post(body: unknown, key?: string, headers?: Record<string, string>): Promise<Response>;
  /** GET /payments/{orderId} as `subject` (default DEFAULT_SUBJECT). */
  get(orderId: string, subject?: string): Promise<Response>;
  /** Creates a payment that must succeed and returns its 201 body. */
  createOrder(
    overrides?: Record<string, unknown>,
  ): Promise<{ orderId: string; token: string; checkoutUrl: string }>;
  /** Every item in the table: for "nothing was written" assertions. */
  itemCount(): Promise<number>;
  /** Every order item in the table, read by scan: the brute force reports and limits are checked against. */
  orders(): Promise<Json[]>;
  alerts(): Promise<
    {
      type: string;
      severity: string;
      orderId: string | null;
      summary: string;
      details?: Record<string, unknown>;
    }[]
  >;
  /** Calls an internal (IAM on AWS) route as a service would: JSON body, optional Idempotency-Key. */
  internal(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** With `events: true`: the events local mode's publisher POSTed (through the stream poller) to a receiver. */
  readonly events: EventReceiver | undefined;
  /** With `events: true`: the stream poller (the event source mapping's twin). */
  readonly poller: StreamPoller | undefined;
  setFlags(flags: Flags): Promise<void>;
  /** Writes the fraud rules file the context reads on every checkout (the AppConfig profile's twin). */
  setFraudRules(rules: FraudRules): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Every fraud rule switched off: most tests pay many times from one account, phone and address, which screening
 * would rightly find suspicious. Screening still runs (counters read and written); its rules have tests of their own.
 */
export const SCREENING_OFF: FraudRules = Object.fromEntries(
  Object.entries(DEFAULT_FRAUD_RULES).map(([rule, value]) => [rule, { ...value, enabled: false }]),
) as FraudRules;

/**
 * The real local stack for one test file: DynamoDB Local (from global setup) with a fresh table, the PayDunya
 * simulator and the API server on free loopback ports, wired with the local adapters `npm start` uses.
 */
export interface HarnessOptions {
  readonly paydunyaTimeoutMs?: number;
  /** Most tests pay many times from one phone; the attempt limit has tests of its own. */
  readonly customerAttempts?: { readonly max: number; readonly windowSeconds: number };
  /** Circuit breaker settings for this stack; the production defaults otherwise. */
  readonly circuitBreaker?: Partial<CircuitBreakerSettings>;
  /** The breaker's clock (ms), so a test can step past its cool-down and window; real time by default. */
  readonly circuitClock?: () => number;
  /** Puts a fault injector around the real DynamoDB store (it gets the store and where its table is). */
  readonly wrapStore?: (store: PaymentStore, table: { name: string; endpoint: string }) => PaymentStore;
  /**
   * Also run the production telemetry (the Powertools Logger with its redacting formatter, Powertools Metrics
   * flushed after every request as on Lambda) and capture what it prints in `output`. `telemetry` keeps recording.
   */
  readonly powertools?: boolean;
  /** Injects DynamoDB's failures under load into the context's DynamoDB client (`true`: rules only, no emulation). */
  readonly dynamoFaults?: DynamoFaultOptions | true;
  /** Runs the stream publisher over the table's stream, delivering to a receiver on loopback (`events`). */
  readonly events?: boolean;
  /** The fraud rules in force at start; SCREENING_OFF by default. */
  readonly fraudRules?: FraudRules;
}

export const startHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const dir = await mkdtemp(join(tmpdir(), 'temba-it-'));
  const secrets: LocalSecrets = {
    paydunya: { master_key: MASTER_KEY, test_private_key: 'test_private_it', test_token: 'it-token' },
    signing_secret: randomBytes(32).toString('hex'),
    pii_key: randomBytes(32).toString('base64'),
  };
  const secretsFile = join(dir, 'secrets.json');
  const flagsFile = join(dir, 'flags.json');
  const alertsLog = join(dir, 'alerts.log');
  await writeFile(secretsFile, JSON.stringify(secrets));
  await writeFile(flagsFile, JSON.stringify(DEFAULT_FLAGS));
  const fraudRulesFile = fraudRulesFileBeside(flagsFile);
  await writeFile(fraudRulesFile, JSON.stringify(options.fraudRules ?? SCREENING_OFF));
  await writeFile(alertsLog, '');

  const issuer = await startLocalIssuer({ port: 0, keysFile: join(dir, 'issuer-keys.json') });
  const tokens = new Map<string, Promise<string>>();
  const token = (subject = DEFAULT_SUBJECT) => {
    let cached = tokens.get(subject);
    if (!cached) {
      cached = issuer.token({ sub: subject, expiresInSeconds: 6 * 3600 });
      tokens.set(subject, cached);
    }
    return cached;
  };

  const endpoint = inject('dynamoEndpoint');
  const tableName = `it-${randomUUID()}`;
  const admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureTable(admin, tableName);

  const sim = await startSimulator({
    masterKey: MASTER_KEY,
    keys: { test: { privateKey: secrets.paydunya.test_private_key, token: secrets.paydunya.test_token } },
  });
  const telemetry = new RecordingTelemetry();
  const output = options.powertools ? new PowertoolsOutput() : undefined;
  output?.start();
  const contextTelemetry = output ? teeTelemetry(telemetry, productionTelemetry()) : telemetry;
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const circuit = createPaydunyaCircuit({
    telemetry: contextTelemetry,
    alerts: createLogAlerts(alertsLog, 'local', () => undefined),
    settings: options.circuitBreaker ?? {},
    ...(options.circuitClock ? { now: options.circuitClock } : {}),
  });
  let faults: DynamoFaults | undefined;
  const dynamoFaults = options.dynamoFaults;
  const built = await buildLocalContext({
    tableName,
    dynamoEndpoint: endpoint,
    // DynamoDB Local is one Java process on a shared 2-core machine, far slower than DynamoDB under a burst of
    // hundreds of calls (50 checkouts at once make 300): tests give it time instead of turning its queue into 503s.
    dynamoClientConfig: {
      ...LOCAL_AWS,
      endpoint,
      requestHandler: {
        ...DYNAMO_CLIENT_DEFAULTS.requestHandler,
        connectionTimeout: 5_000,
        requestTimeout: 5_000,
      },
    },
    paydunyaBaseUrls: { test: sim.apiBase('test'), live: sim.apiBase('live') },
    paydunyaTimeoutMs: options.paydunyaTimeoutMs ?? 3_000,
    secretsFile,
    flagsFile,
    alertsLog,
    publicBaseUrl: apiUrl,
    returnUrl: `${apiUrl}/checkout/return`,
    cancelUrl: `${apiUrl}/checkout/cancel`,
    store: LOCAL_STORE,
    customerAuth: issuer.config,
    telemetry: contextTelemetry,
    printAlert: () => undefined,
    customerAttempts: options.customerAttempts ?? { max: 1_000_000, windowSeconds: 900 },
    circuit,
    ...(dynamoFaults
      ? {
          instrumentDynamo: (client) => {
            faults = attachDynamoFaults(client, dynamoFaults === true ? {} : dynamoFaults);
          },
        }
      : {}),
  });
  const ctx: AppContext = options.wrapStore
    ? { ...built, store: options.wrapStore(built.store, { name: tableName, endpoint }) }
    : built;
  const api = await startApiServer(ctx, port, output ? { afterRequest: () => output.flush() } : {});
  const events = options.events ? await startEventReceiver() : undefined;
  const poller = events
    ? await startStreamPoller({
        clientConfig: { ...LOCAL_AWS, endpoint },
        tableName,
        idleMs: 50,
        deps: {
          sink: createHttpEventSink({
            urls: [events.url],
            file: join(dir, 'events.jsonl'),
            attempts: 2,
            baseDelayMs: 20,
          }),
          telemetry: contextTelemetry,
          clock: { now: () => new Date() },
        },
      })
    : undefined;

  const post = async (body: unknown, key: string = randomUUID(), headers: Record<string, string> = {}) =>
    fetch(`${api.url}/payments`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': key,
        Authorization: `Bearer ${await token()}`,
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  return {
    api,
    sim,
    ctx,
    telemetry,
    tableName,
    circuit,
    output,
    faults,
    post,
    issuer,
    token,
    get: async (orderId, subject) =>
      fetch(`${api.url}/payments/${encodeURIComponent(orderId)}`, {
        headers: { Authorization: `Bearer ${await token(subject)}` },
      }),
    internal: (method, path, body, headers = {}) =>
      fetch(`${api.url}${path}`, {
        method,
        headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    events,
    poller,
    async createOrder(overrides = {}) {
      const response = await post(validOrder(overrides));
      if (response.status !== 201)
        throw new Error(`create failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as { orderId: string; token: string; checkoutUrl: string };
    },
    async orders() {
      const documents = DynamoDBDocumentClient.from(admin);
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new DocScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items.filter((item) => item.entity === 'order');
    },
    async itemCount() {
      // Alert de-duplication claims are bookkeeping of the alert channel, not something a request wrote.
      const result = await admin.send(
        new ScanCommand({
          TableName: tableName,
          Select: 'COUNT',
          FilterExpression: 'NOT begins_with(pk, :alert)',
          ExpressionAttributeValues: { ':alert': { S: ITEM_PREFIX.alert } },
        }),
      );
      return result.Count ?? 0;
    },
    async alerts() {
      const text = await readFile(alertsLog, 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    setFlags: (flags) => writeFile(flagsFile, JSON.stringify(flags)),
    setFraudRules: (rules) => writeFile(fraudRulesFile, JSON.stringify(rules)),
    async stop() {
      output?.stop();
      await poller?.stop();
      await events?.stop();
      await api.stop();
      await issuer.stop();
      await sim.stop();
      admin.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
