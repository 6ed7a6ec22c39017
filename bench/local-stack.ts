import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Flags } from '../lambdas/shared/contract/flags';
import type { PaydunyaKeys } from '../lambdas/shared/contract/secrets';
import type { AppContext } from '../lambdas/shared/domain/context';
import type { HttpFetch } from '../lambdas/shared/paydunya/keep-alive-fetch';
import { createDocumentClient } from '../lambdas/shared/store/dynamo-client';
import { createDynamoPaymentStore } from '../lambdas/shared/store/dynamo-payment-store';
import { createDynamoRiskCounters } from '../lambdas/shared/store/risk-counters';
import { stageFlags, stageFraudRules } from '../lib/config';
import { ensureTable } from '../local/create-table';
import { LOCAL_AWS } from '../local/dynamodb-local';
import type { LocalSecrets } from '../local/local-adapters';
import { buildLocalContext } from '../local/local-context';
import { fraudRulesFileBeside } from '../local/local-files';
import { type LocalIssuer, startLocalIssuer } from '../local/local-issuer';
import { sha512Hex } from '../local/paydunya-simulator/envelope';
import { type Simulator, startSimulator } from '../local/paydunya-simulator/simulator';
import { stageConfig } from './config';
import { lambdaLikeFlags, lambdaLikeSecrets } from './lambda-like-adapters';

/** Longer than a full bench run: no token expires between its minting and its last use. */
const TOKEN_LIFETIME_SECONDS = 6 * 3600;

export interface BenchStack {
  readonly endpoint: string;
  readonly tableName: string;
  readonly sim: Simulator;
  readonly keys: PaydunyaKeys;
  /** `data[hash]` of every IPN: SHA-512 of the master key. */
  readonly ipnHash: string;
  /** A document client configured as the Lambdas' (`createDocumentClient`), for the bench to instrument. */
  newDocumentClient(): DynamoDBDocumentClient;
  /** A plain client, not instrumented: the bench's own reads (item sizes, snapshots). */
  readonly raw: DynamoDBClient;
  /** The identity provider the contexts verify customer tokens against (its JWKS requests are counted). */
  readonly issuer: LocalIssuer;
  /**
   * One token per subject, in order (ES256, valid for hours): signing is not free, so they are minted before
   * anything is timed.
   */
  tokensFor(subjects: readonly string[]): Promise<string[]>;
  /**
   * The local context `npm start` builds (buildLocalContext), with the stage's settings, on the given document
   * client (so the bench's middleware sees every call) and PayDunya transport (so its calls can be timed), and
   * with secrets and flags cached in memory as on a warm Lambda. Its authenticator is the deployed one
   * (createJwtAuthenticator) on the local issuer's settings: it fetches the JWKS on its first token, then caches
   * it, as a warm Lambda does.
   */
  context(options: { readonly doc: DynamoDBDocumentClient; readonly fetch: HttpFetch }): Promise<AppContext>;
  stop(): Promise<void>;
}

/**
 * The real stack on loopback, as test/integration/harness.ts wires it: a fresh table in the given DynamoDB
 * Local, the PayDunya simulator and the local identity issuer on free ports, the local secrets and flags files. The simulator does not post
 * IPNs itself (`dropIpn`): the bench delivers each IPN to the webhook handler in-process, so only the handler
 * is timed.
 */
export const startBenchStack = async (endpoint: string): Promise<BenchStack> => {
  const dir = await mkdtemp(join(tmpdir(), 'temba-bench-'));
  const masterKey = `bench-master-${randomBytes(8).toString('hex')}`;
  const secrets: LocalSecrets = {
    paydunya: { master_key: masterKey, test_private_key: 'test_private_bench', test_token: 'bench-token' },
    signing_secret: randomBytes(32).toString('base64url'),
    pii_key: randomBytes(32).toString('base64'),
  };
  // The stage's flags, with the daily limit kept on (its reservation is part of every payment's transaction)
  // but high enough never to refuse one of the bench's thousands of payments.
  const flags: Flags = {
    ...stageFlags(stageConfig),
    live_payments: { enabled: false },
    daily_limit: { enabled: true, max_xof: 1_000_000_000_000, max_count: 1_000_000_000 },
  };
  const files = {
    secretsFile: join(dir, 'secrets.json'),
    flagsFile: join(dir, 'flags.json'),
    alertsLog: join(dir, 'alerts.log'),
  };
  await writeFile(files.secretsFile, JSON.stringify(secrets));
  await writeFile(files.flagsFile, JSON.stringify(flags));
  // The stage's fraud rules, read on every checkout as locally (fraudRulesFileBeside).
  await writeFile(fraudRulesFileBeside(files.flagsFile), JSON.stringify(stageFraudRules(stageConfig)));
  await writeFile(files.alertsLog, '');

  const tableName = `bench-${randomUUID()}`;
  const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureTable(raw, tableName);
  const sim = await startSimulator({
    masterKey,
    keys: { test: { privateKey: secrets.paydunya.test_private_key, token: secrets.paydunya.test_token } },
  });
  sim.faults.dropIpn = true;
  const issuer = await startLocalIssuer({ port: 0, keysFile: join(dir, 'issuer-keys.json') });
  const urls = stageConfig.urls;

  return {
    endpoint,
    tableName,
    sim,
    keys: secrets.paydunya,
    ipnHash: sha512Hex(masterKey),
    raw,
    issuer,
    tokensFor: (subjects) =>
      Promise.all(subjects.map((sub) => issuer.token({ sub, expiresInSeconds: TOKEN_LIFETIME_SECONDS }))),
    newDocumentClient: () => createDocumentClient({ ...LOCAL_AWS, endpoint }),
    async context({ doc, fetch }) {
      const base = await buildLocalContext({
        tableName,
        dynamoEndpoint: endpoint,
        paydunyaBaseUrls: { test: sim.apiBase('test'), live: sim.apiBase('live') },
        paydunyaTimeoutMs: stageConfig.paydunya.timeoutMs,
        paydunyaMode: 'test',
        paydunyaFetch: fetch,
        ...files,
        // The stage's URLs and store block: the callback URL and the invoice have their real lengths.
        publicBaseUrl: urls.publicBaseUrl ?? 'https://api.temba.app',
        returnUrl: urls.returnUrl,
        cancelUrl: urls.cancelUrl,
        store: stageConfig.paydunya.store,
        customerAttempts: stageConfig.limits.customerAttempts,
        customerAuth: issuer.config,
        printAlert: () => undefined,
      });
      return {
        ...base,
        store: createDynamoPaymentStore(doc, tableName),
        // Fraud screening's counters on the same instrumented client: their reads and writes are timed and counted.
        risk: createDynamoRiskCounters(doc, tableName, { telemetry: base.telemetry }),
        secrets: lambdaLikeSecrets(files.secretsFile),
        flags: lambdaLikeFlags(files.flagsFile),
      };
    },
    async stop() {
      await issuer.stop();
      await sim.stop();
      raw.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
