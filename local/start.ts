/**
 * `npm start`: the whole payment backend on one machine, on loopback only.
 *
 *   DynamoDB Local   http://127.0.0.1:8000   (DYNAMODB_PORT; in memory, or DYNAMODB_DATA_DIR to keep data)
 *   PayDunya sim     http://127.0.0.1:8001   (SIMULATOR_PORT)
 *   API              http://localhost:3000   (PORT)
 *   Identity issuer  http://127.0.0.1:8002   (ISSUER_PORT; its JWKS; `npm run token -- --sub <id>` signs a token)
 *   Payment events   .local/events.jsonl, and POSTed to each URL in EVENT_SINK_URLS (comma-separated)
 *
 * With PAYDUNYA_MODE=test and real sandbox keys (PAYDUNYA_MASTER_KEY, PAYDUNYA_PRIVATE_KEY, PAYDUNYA_TOKEN), the
 * simulator is not started and the same handlers talk to PayDunya's real sandbox.
 *
 * With DYNAMODB_ENDPOINT (e.g. a DynamoDB Local that outlives local mode, or a fault-injecting proxy on loopback),
 * no DynamoDB Local is started: that endpoint is used and the table DYNAMODB_TABLE (default temba-payments-local)
 * created in it if missing. DYNAMODB_FAULTS (JSON, see local/dynamo-faults.ts) injects DynamoDB's failures under
 * load into the handlers' client, e.g. DYNAMODB_FAULTS='{"emulateContention":{"holdMs":5},
 * "rules":[{"error":"TransactionConflictException","probability":0.05}]}'.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { THRESHOLDS } from '../lambdas/shared/contract/thresholds';
import { reconcilePending } from '../lambdas/shared/domain/reconcile';
import { PAYDUNYA_BASE_URLS } from '../lambdas/shared/paydunya/paydunya.client';
import { metrics } from '../lambdas/shared/platform/powertools';
import { startApiServer } from './api-server';
import { ensureTable } from './create-table';
import { attachDynamoFaultConfig, type DynamoFaults } from './dynamo-faults';
import { startDynamoDbLocal, waitForDynamo } from './dynamodb-local';
import { createHttpEventSink } from './event-sink';
import { buildLocalContext, type LocalContextOptions } from './local-context';
import { ISSUER_KEYS_FILE, LOCAL_DIR, localContextOptions, localDynamo, localEnv } from './local-env';
import { fraudRulesFileBeside, prepareLocalFiles } from './local-files';
import { startLocalIssuer } from './local-issuer';
import { applyFaultsFromEnv } from './paydunya-simulator/faults';
import { startSimulator } from './paydunya-simulator/simulator';
import { startStreamPoller } from './stream-poller';

const env = localEnv;

const main = async () => {
  const dir = LOCAL_DIR;
  await mkdir(dir, { recursive: true });
  const realSandbox =
    env.PAYDUNYA_MODE === 'test' && env.PAYDUNYA_MASTER_KEY && env.PAYDUNYA_PRIVATE_KEY && env.PAYDUNYA_TOKEN
      ? {
          master_key: env.PAYDUNYA_MASTER_KEY,
          test_private_key: env.PAYDUNYA_PRIVATE_KEY,
          test_token: env.PAYDUNYA_TOKEN,
        }
      : undefined;
  const files = await prepareLocalFiles(dir, realSandbox);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));

  try {
    const dynamo = localDynamo(env);
    const { tableName } = dynamo;
    if (!dynamo.external) {
      const started = await startDynamoDbLocal({ port: env.DYNAMODB_PORT, dbPath: env.DYNAMODB_DATA_DIR });
      stops.push(started.stop);
    } else if (dynamo.loopback) {
      try {
        await waitForDynamo(dynamo.endpoint, 5_000);
      } catch {
        throw new Error(`nothing answers as DynamoDB at DYNAMODB_ENDPOINT ${dynamo.endpoint}`);
      }
    }
    // Creates the table if it is missing; an existing table and its data are kept.
    const admin = new DynamoDBClient(dynamo.clientConfig);
    await ensureTable(admin, tableName);
    admin.destroy();

    let baseUrls = PAYDUNYA_BASE_URLS;
    let simulatorUrl: string | undefined;
    if (!realSandbox) {
      const sim = await startSimulator({
        port: env.SIMULATOR_PORT,
        masterKey: files.secrets.paydunya.master_key,
        keys: {
          test: {
            privateKey: files.secrets.paydunya.test_private_key,
            token: files.secrets.paydunya.test_token,
          },
        },
        publicBaseUrl: `http://localhost:${env.SIMULATOR_PORT}`,
        log: (line) => console.log(`[paydunya-sim] ${line}`),
      });
      stops.push(sim.stop);
      // Faults from the start, as JSON: SIM_FAULTS='{"createDelayMs":2000}' (the same switches as /__sim/faults).
      const faults = applyFaultsFromEnv(sim.faults, process.env.SIM_FAULTS);
      if (Object.keys(faults).length > 0) {
        console.log(`[paydunya-sim] faults from SIM_FAULTS: ${JSON.stringify(faults)}`);
      }
      baseUrls = { test: sim.apiBase('test'), live: sim.apiBase('live') };
      simulatorUrl = sim.url;
    }

    // Customers sign in: the local issuer stands in for Supabase Auth / Cognito, on loopback.
    const issuer = await startLocalIssuer({ port: env.ISSUER_PORT, keysFile: ISSUER_KEYS_FILE });
    stops.push(issuer.stop);

    let dynamoFaults: DynamoFaults | undefined;
    const faultConfig = env.DYNAMODB_FAULTS;
    const options: LocalContextOptions = {
      ...localContextOptions(files, baseUrls, issuer.config, env),
      ...(faultConfig
        ? {
            instrumentDynamo: (client) => {
              dynamoFaults = attachDynamoFaultConfig(client, faultConfig);
            },
          }
        : {}),
    };
    const { publicBaseUrl } = options;
    const ctx = await buildLocalContext(options);
    // Lambda flushes metrics at the end of each invocation; so does the emulation.
    const api = await startApiServer(ctx, env.PORT, { afterRequest: () => metrics.publishStoredMetrics() });
    stops.push(api.stop);
    if (faultConfig) {
      stops.push(async () => {
        const injected = Object.entries(dynamoFaults?.counts() ?? {}).filter(([, count]) => count > 0);
        console.log(`[dynamodb] faults injected: ${JSON.stringify(Object.fromEntries(injected))}`);
      });
    }

    // As the event source mapping and EventBridge do on AWS: every committed change's event, from the table's stream.
    const eventsFile = join(dir, 'events.jsonl');
    const poller = await startStreamPoller({
      clientConfig: dynamo.clientConfig,
      tableName,
      deps: {
        sink: createHttpEventSink({ urls: env.EVENT_SINK_URLS, file: eventsFile }),
        telemetry: ctx.telemetry,
        clock: ctx.clock,
      },
      deadLetterFile: join(dir, 'events-dead-letter.jsonl'),
      log: (line) => console.log(`[events] ${line}`),
    });
    stops.push(poller.stop);

    // As the EventBridge schedule does on AWS: settle PENDING orders whose IPN never came, resume refunds, and
    // watch for paid orders ticketing has not acknowledged.
    const timer = setInterval(() => {
      reconcilePending(ctx, {
        olderThanMinutes: THRESHOLDS.reconcile.pendingOlderThanMinutes,
        invoiceExpiryHours: THRESHOLDS.reconcile.invoiceExpiryHours,
        concurrency: THRESHOLDS.reconcile.concurrency,
      })
        .catch((error: unknown) => console.error('reconcile failed', error))
        .finally(() => metrics.publishStoredMetrics());
    }, env.RECONCILE_INTERVAL_SECONDS * 1000);
    stops.push(async () => clearInterval(timer));

    console.log(
      [
        '',
        'Temba Payments, local mode',
        `  API             ${publicBaseUrl}  (POST /payments, GET /payments, GET /payments/{orderId}, POST /webhooks/paydunya)`,
        `  ${dynamo.external ? 'DynamoDB      ' : 'DynamoDB Local'}  ${dynamo.endpoint}  table ${tableName}` +
          (dynamo.external ? '  (DYNAMODB_ENDPOINT)' : ''),
        ...(faultConfig ? [`  DynamoDB faults ${JSON.stringify(faultConfig)}  (DYNAMODB_FAULTS)`] : []),
        simulatorUrl
          ? `  PayDunya        simulator at ${simulatorUrl} (faults: GET/POST ${simulatorUrl}/__sim/faults)`
          : '  PayDunya        REAL sandbox (https://app.paydunya.com/sandbox-api/v1)',
        `  Secrets         ${files.secretsFile}`,
        `  Flags           ${files.flagsFile}   (edit to pause payments; read on every request)`,
        `  Fraud rules     ${fraudRulesFileBeside(files.flagsFile)}   (screening thresholds; read on every checkout)`,
        `  Alerts          console and ${files.alertsLog}`,
        `  Sign-in         local issuer ${issuer.issuer} (JWKS at /.well-known/jwks.json; keys ${ISSUER_KEYS_FILE})`,
        `  Events          ${eventsFile}${env.EVENT_SINK_URLS.length > 0 ? ` and POST to ${env.EVENT_SINK_URLS.join(', ')}` : '  (EVENT_SINK_URLS to POST them too)'}`,
        '  Internal routes (IAM on AWS, loopback here): POST /payments/{orderId}/fulfilment, POST /payments/{orderId}/refunds,',
        '                  POST /payments/{orderId}/complaints,',
        '                  GET /reservations/{reference}/payments, GET /admin/reports/{date}, POST /admin/orders/{orderId}/review',
        '',
        'Try it (customers sign in: a token for account "awa" from the local issuer):',
        '  TOKEN=$(npm run -s token -- --sub awa)',
        `  curl -s -X POST ${publicBaseUrl}/payments -H "Authorization: Bearer $TOKEN" \\`,
        `    -H "Idempotency-Key: $(node -e 'console.log(crypto.randomUUID())')" \\`,
        `    -H 'Content-Type: application/json' -d '{"amount":15000,"currency":"XOF","customer_email":"awa@example.bf",` +
          `"customer_phone":"+22670123456","items":[{"name":"Concert - Pass VIP","quantity":1,"unit_price":10000},` +
          `{"name":"Parking","quantity":2,"unit_price":2500}]}'`,
        '  then open checkoutUrl in a browser and pay: a payment.completed event lands in the events file. Then',
        `  curl -s -X POST ${publicBaseUrl}/payments/<orderId>/fulfilment -H 'Content-Type: application/json' \\`,
        `    -d '{"outcome":"failed","reason":"sold out"}'`,
        '  refunds the customer through the simulated disbursement API (refund.succeeded event). Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    console.error(`Local mode could not start: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    process.exit(1);
  }
};

void main();
