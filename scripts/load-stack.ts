/**
 * What both load scenarios (`npm run load`, `npm run load -- --rush`) stand on: DynamoDB Local on a free port,
 * the PayDunya simulator, a keep-alive transport and the local identity issuer (its keys in the scratch folder,
 * a free port), on loopback only; and a local context over any table of it for an API server, verifying customer
 * tokens against that issuer. Each start pushes its stop onto `stops`, which the caller runs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppContext } from '../lambdas/shared/domain/context';
import { createKeepAliveFetch } from '../lambdas/shared/paydunya/keep-alive-fetch';
import { DYNAMO_CLIENT_DEFAULTS } from '../lambdas/shared/store/dynamo-client';
import { ensureTable } from '../local/create-table';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { freePort } from '../local/free-port';
import { buildLocalContext, LOCAL_STORE, type LocalContextOptions } from '../local/local-context';
import { prepareLocalFiles } from '../local/local-files';
import { type LocalIssuer, startLocalIssuer } from '../local/local-issuer';
import { type Simulator, startSimulator } from '../local/paydunya-simulator/simulator';

export type Stops = (() => Promise<void>)[];

/** Longer than any run (each has a hard limit of a few minutes): no token expires mid-scenario. */
const TOKEN_LIFETIME_SECONDS = 3600;

export const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The machine a figure was measured on: load figures mean little without it. */
export const describeMachine = (): string =>
  `Node ${process.version}, ${cpus().length} CPU(s), load average ${loadAverage()} (1, 5, 15 min)`;

export interface LoadStack {
  readonly files: Awaited<ReturnType<typeof prepareLocalFiles>>;
  readonly dynamoEndpoint: string;
  /** A client on DynamoDB Local with no fault injector: the truth the checks read. */
  readonly admin: DynamoDBClient;
  readonly sim: Simulator;
  /** PayDunya's transport in every context of the stack (its stats count connections and reuse). */
  readonly transport: ReturnType<typeof createKeepAliveFetch>;
  /** The identity provider every context of the stack verifies customer tokens against. */
  readonly issuer: LocalIssuer;
  /**
   * One token per subject, in order, signed by the issuer (ES256, valid for the whole run). Signing is not free:
   * mint them before the timed part.
   */
  tokensFor(subjects: readonly string[]): Promise<string[]>;
  /** A new table from the shared definition. */
  newTable(prefix: string): Promise<string>;
  /** The local context `npm start` builds, over `table`, for an API server on `port`. */
  contextOn(table: string, port: number, options?: Partial<LocalContextOptions>): Promise<AppContext>;
}

export const startLoadStack = async (stops: Stops, prefix: string): Promise<LoadStack> => {
  const dir = await mkdtemp(join(tmpdir(), `temba-${prefix}-`));
  stops.push(() => rm(dir, { recursive: true, force: true }));
  const files = await prepareLocalFiles(dir);
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  stops.push(dynamo.stop);
  const admin = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
  stops.push(async () => admin.destroy());
  const { paydunya } = files.secrets;
  const sim = await startSimulator({
    masterKey: paydunya.master_key,
    keys: { test: { privateKey: paydunya.test_private_key, token: paydunya.test_token } },
  });
  stops.push(sim.stop);
  const transport = createKeepAliveFetch();
  stops.push(async () => transport.close());
  const issuer = await startLocalIssuer({ port: 0, keysFile: join(dir, 'issuer-keys.json') });
  stops.push(issuer.stop);
  return {
    files,
    dynamoEndpoint: dynamo.endpoint,
    admin,
    sim,
    transport,
    issuer,
    tokensFor: (subjects) =>
      Promise.all(subjects.map((sub) => issuer.token({ sub, expiresInSeconds: TOKEN_LIFETIME_SECONDS }))),
    async newTable(tablePrefix) {
      const tableName = `${tablePrefix}-${randomUUID()}`;
      await ensureTable(admin, tableName);
      return tableName;
    },
    contextOn(table, port, options = {}) {
      const publicBaseUrl = `http://127.0.0.1:${port}`;
      return buildLocalContext({
        tableName: table,
        dynamoEndpoint: dynamo.endpoint,
        // As in the integration harness: DynamoDB Local (one Java process sharing 2 cores with the API, the simulator
        // and the load tool) queues a burst of 50 checkouts' 300 admission calls for longer than DynamoDB would; the
        // faults that DynamoDB really sends are injected on purpose (dynamo-faults), not left to the emulator's queue.
        dynamoClientConfig: {
          ...LOCAL_AWS,
          endpoint: dynamo.endpoint,
          requestHandler: {
            ...DYNAMO_CLIENT_DEFAULTS.requestHandler,
            connectionTimeout: 5_000,
            requestTimeout: 5_000,
          },
        },
        paydunyaBaseUrls: { test: sim.apiBase('test'), live: sim.apiBase('live') },
        paydunyaFetch: transport,
        secretsFile: files.secretsFile,
        flagsFile: files.flagsFile,
        alertsLog: files.alertsLog,
        publicBaseUrl,
        returnUrl: `${publicBaseUrl}/checkout/return`,
        cancelUrl: `${publicBaseUrl}/checkout/cancel`,
        store: LOCAL_STORE,
        customerAuth: issuer.config,
        printAlert: () => undefined,
        ...options,
      });
    },
  };
};
