import { resolve } from 'node:path';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { CustomerAuthConfig } from '../lambdas/shared/contract/auth';
import { TABLE } from '../lambdas/shared/contract/table';
import type { PaymentMode } from '../lambdas/shared/domain/order';
import { dynamoFaultConfigSchema } from './dynamo-faults';
import { LOCAL_AWS } from './dynamodb-local';
import { LOCAL_STORE, type LocalContextOptions } from './local-context';

export const LOCAL_DIR = resolve('.local');
export const LOCAL_TABLE = TABLE.nameFor('local');
/** The local issuer's signing keys (made on first use; `npm run token` signs with them). */
export const ISSUER_KEYS_FILE = resolve(LOCAL_DIR, 'issuer-keys.json');

const localEnvSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  DYNAMODB_PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  SIMULATOR_PORT: z.coerce.number().int().min(1).max(65535).default(8001),
  /** The local identity provider (its JWKS and discovery document); `npm run token` signs for it. */
  ISSUER_PORT: z.coerce.number().int().min(1).max(65535).default(8002),
  DYNAMODB_DATA_DIR: z.string().optional(),
  /**
   * An already running DynamoDB-compatible endpoint (a fault-injecting proxy, a DynamoDB Local that keeps its
   * data, a real table): `npm start` then starts no DynamoDB Local and uses this one.
   */
  DYNAMODB_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  DYNAMODB_TABLE: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'a DynamoDB table name: 3 to 255 of a-z A-Z 0-9 _ . -')
    .default(LOCAL_TABLE),
  /**
   * Faults injected into local mode's DynamoDB client, as JSON, e.g.
   * `{"emulateContention":{"holdMs":5},"rules":[{"error":"TransactionConflictException","probability":0.05}]}`.
   */
  DYNAMODB_FAULTS: z
    .string()
    .transform((json, ctx): unknown => {
      try {
        return JSON.parse(json);
      } catch (error) {
        ctx.issues.push({ code: 'custom', input: json, message: `not JSON: ${(error as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(dynamoFaultConfigSchema)
    .optional(),
  /**
   * Where local mode delivers payment events besides `.local/events.jsonl`: comma-separated http(s) URLs, each
   * POSTed every event as JSON (EventBridge's envelope), with retries and backoff.
   */
  EVENT_SINK_URLS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each must be an http(s) URL' })))
    .default([]),
  /** Local mode also runs reconcile on a timer (seconds). */
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(5).default(60),
  PAYDUNYA_MODE: z.enum(['test']).optional(),
  PAYDUNYA_MASTER_KEY: z.string().min(1).optional(),
  PAYDUNYA_PRIVATE_KEY: z.string().min(1).optional(),
  PAYDUNYA_TOKEN: z.string().min(1).optional(),
});

export type LocalEnv = z.infer<typeof localEnvSchema>;

/** Local mode's settings from an environment; throws, naming each bad variable, when one is invalid. */
export const parseLocalEnv = (env: Readonly<Record<string, string | undefined>>): LocalEnv =>
  localEnvSchema.parse(env);

/** Local mode's settings, from the environment; the same for `npm start` and the operator scripts. */
export const localEnv = parseLocalEnv(process.env);

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

export const isLoopbackUrl = (url: string): boolean => {
  const { hostname } = new URL(url);
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
};

export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  /** True when DYNAMODB_ENDPOINT names a running endpoint: local mode then starts no DynamoDB Local. */
  readonly external: boolean;
  readonly loopback: boolean;
  /**
   * Client settings for that endpoint. On loopback the dummy credentials DynamoDB Local accepts; elsewhere
   * nothing, so the SDK's default credential chain and region (AWS_REGION, profile...) sign for a real table.
   */
  readonly clientConfig: DynamoDBClientConfig;
}

/** Where local mode's table is: DynamoDB Local on DYNAMODB_PORT, or the endpoint DYNAMODB_ENDPOINT names. */
export const localDynamo = (env: LocalEnv = localEnv): LocalDynamo => {
  const endpoint = env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.DYNAMODB_PORT}`;
  const loopback = isLoopbackUrl(endpoint);
  return {
    endpoint,
    tableName: env.DYNAMODB_TABLE,
    external: env.DYNAMODB_ENDPOINT !== undefined,
    loopback,
    clientConfig: loopback ? { ...LOCAL_AWS, endpoint } : { endpoint },
  };
};

export const localContextOptions = (
  files: { secretsFile: string; flagsFile: string; alertsLog: string },
  paydunyaBaseUrls: Readonly<Record<PaymentMode, string>>,
  customerAuth: CustomerAuthConfig,
  env: LocalEnv = localEnv,
): LocalContextOptions => {
  const publicBaseUrl = `http://localhost:${env.PORT}`;
  const dynamo = localDynamo(env);
  return {
    tableName: dynamo.tableName,
    dynamoEndpoint: dynamo.endpoint,
    dynamoClientConfig: dynamo.clientConfig,
    paydunyaBaseUrls,
    ...files,
    // PayDunya's real sandbox cannot reach loopback: its IPNs will not arrive, and reconcile settles orders.
    publicBaseUrl,
    returnUrl: `${publicBaseUrl}/checkout/return`,
    cancelUrl: `${publicBaseUrl}/checkout/cancel`,
    store: LOCAL_STORE,
    customerAuth,
  };
};
