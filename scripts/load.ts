/**
 * `npm run load`: the go-live plan's load test, against local mode started here on loopback.
 *
 * 1. POST /payments, the equivalent of `ab -n 100 -c 10`: 100 requests, 10 at a time, each with its own
 *    Idempotency-Key and its own customer: a signed-in account (a bearer token from the local issuer, one subject
 *    per request, minted before the run) and a phone, so the per-account and per-phone attempt limit is not what
 *    is measured; after a warm-up of 20 (a fresh JVM and JIT are what a deployed API is not).
 * 2. A webhook storm: the 100 invoices are settled in the simulator without IPNs (70 paid, 20 cancelled,
 *    10 failed), then 1,000 form-encoded IPNs built like the simulator's, 10 per order, are posted 10 at a time,
 *    shuffled (out of order), with duplicates and with statuses that contradict PayDunya confirm.
 * 3. Checks: every request answered as expected (201, then 200), every order in the state PayDunya confirm gives,
 *    with exactly the audit trail CREATED → PENDING → final, exactly one applied transition per order, one invoice
 *    per order.
 *
 * Prints requests per second, p50/p95/p99 latency and error counts; exits 1 on any error or wrong state.
 * Everything it starts (DynamoDB Local on a free port, the simulator, the API) is stopped before it exits.
 *
 * `npm run load -- --rush [--seed N]` runs the on-sale rush instead, under DynamoDB contention faults and with
 * the daily limit running out (scripts/load-rush.ts).
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { METRICS } from '../lambdas/shared/contract/metrics';
import type { OrderStatus } from '../lambdas/shared/domain/order';
import { startApiServer } from '../local/api-server';
import { freePort } from '../local/free-port';
import { buildEnvelope, sha512Hex } from '../local/paydunya-simulator/envelope';
import { encodeIpnBody } from '../local/paydunya-simulator/ipn';
import type { SettleOutcome } from '../local/paydunya-simulator/simulator';
import { RecordingTelemetry } from '../test/support/recording-telemetry';
import { describeMachine, loadAverage, startLoadStack } from './load-stack';
import { commandLine, defineCommand, exitWithUsage } from './ops/cli';

const ORDERS = 100;
const WARM_UP = 20;
const CONCURRENCY = 10;
const IPNS_PER_ORDER = 10;
/** The whole run must end well within CI's patience; past this it is a failure in itself. */
const HARD_LIMIT_MS = 150_000;

const FINAL: Record<SettleOutcome, OrderStatus> = {
  completed: 'COMPLETED',
  cancelled: 'CANCELLED',
  failed: 'FAILED',
};
const STATUSES = ['completed', 'cancelled', 'failed', 'pending'] as const;

interface Phase {
  readonly name: string;
  readonly requests: number;
  readonly seconds: number;
  readonly latencies: number[];
  readonly statuses: Record<string, number>;
  readonly unexpected: number;
  readonly errors: number;
  readonly timeouts: number;
}

/** Nearest-rank percentile of the measured latencies. */
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

const shuffle = <T>(items: T[]): T[] => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
};

/** Runs autocannon and keeps every response time (autocannon's own summary has no p95). */
const cannon = (
  name: string,
  expected: number,
  options: autocannon.Options,
): Promise<Phase & { result: autocannon.Result }> =>
  new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    const started = process.hrtime.bigint();
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => {
      if (error) return reject(error);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const unexpected = Object.entries(statuses)
        .filter(([status]) => Number(status) !== expected)
        .reduce((sum, [, count]) => sum + count, 0);
      resolve({
        name,
        requests: latencies.length,
        seconds,
        latencies,
        statuses,
        unexpected,
        errors: result.errors,
        timeouts: result.timeouts,
        result,
      });
    });
    // The tracker emits (client, status, bytes, ms); @types/autocannon leaves the client out.
    (instance as unknown as EventEmitter).on(
      'response',
      (_client: unknown, status: number, _bytes: number, ms: number) => {
        latencies.push(ms);
        statuses[status] = (statuses[status] ?? 0) + 1;
      },
    );
  });

const describePhase = (phase: Phase): string => {
  const sorted = [...phase.latencies].sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    `${phase.name}`,
    `  requests        ${phase.requests} in ${phase.seconds.toFixed(2)} s = ${(phase.requests / phase.seconds).toFixed(1)} requests/s`,
    `  latency         p50 ${ms(percentile(sorted, 50))}   p95 ${ms(percentile(sorted, 95))}   p99 ${ms(percentile(sorted, 99))}   max ${ms(sorted.at(-1) ?? Number.NaN)}`,
    `  status codes    ${JSON.stringify(phase.statuses)}`,
    `  errors          ${phase.unexpected} unexpected status, ${phase.errors} connection errors, ${phase.timeouts} timeouts`,
  ].join('\n');
};

const main = async (): Promise<number> => {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  const hardLimit = setTimeout(() => {
    console.error(`FAIL: the load test did not finish within ${HARD_LIMIT_MS / 1000} s`);
    void stopAll().finally(() => process.exit(1));
  }, HARD_LIMIT_MS);
  hardLimit.unref();

  try {
    console.log(describeMachine());
    console.log('Starting DynamoDB Local, the PayDunya simulator and the API on loopback…');
    const stack = await startLoadStack(stops, 'load');
    const { sim, transport } = stack;
    const tableName = await stack.newTable('load');
    const telemetry = new RecordingTelemetry();
    const port = await freePort();
    const ctx = await stack.contextOn(tableName, port, { telemetry });
    const api = await startApiServer(ctx, port);
    stops.push(api.stop);

    // One customer per request: their own account (token subject) and phone. The tokens are signed now (ES256
    // is not free), so the timed requests only carry them; the API verifies each one.
    const subjects = Array.from({ length: WARM_UP + ORDERS }, (_, i) => `load-customer-${i + 1}`);
    const bearers = (await stack.tokensFor(subjects)).map((token) => `Bearer ${token}`);

    // POST /payments, 10 concurrent, a new Idempotency-Key (and customer) each.
    let made = 0;
    const createPayments = async (name: string, amount: number) => {
      const created: { orderId: string; token: string }[] = [];
      const phase = await cannon(name, 201, {
        url: api.url,
        connections: CONCURRENCY,
        amount,
        requests: [
          {
            method: 'POST',
            path: '/payments',
            setupRequest: (request) => {
              const authorization = bearers[made++];
              if (!authorization) throw new Error('more payment requests built than customers');
              return {
                ...request,
                headers: {
                  'content-type': 'application/json',
                  'idempotency-key': randomUUID(),
                  authorization,
                },
                body: JSON.stringify({
                  amount: 15000,
                  currency: 'XOF',
                  customer_email: `load.${made}@example.bf`,
                  customer_phone: `+2267${String(made).padStart(7, '0')}`,
                  customer_name: 'Load Test',
                  items: [
                    { name: 'Concert - Pass VIP', quantity: 1, unit_price: 10000 },
                    { name: 'Parking', quantity: 2, unit_price: 2500 },
                  ],
                }),
              };
            },
            onResponse: (status, body) => {
              if (status === 201) created.push(JSON.parse(body) as { orderId: string; token: string });
            },
          },
        ],
      });
      console.log(`\n${describePhase(phase)}`);
      return { phase, created };
    };
    // A deployed API is warm; a fresh JVM and JIT are not. The first requests are slow for that reason alone,
    // so a short warm-up runs first: its figures are shown, its errors count, its latencies are not the result.
    const warmUp = await createPayments(
      `warm-up: POST /payments x ${WARM_UP} (not the measurement)`,
      WARM_UP,
    );
    const { phase: createPhase, created } = await createPayments(
      `POST /payments (ab -n ${ORDERS} -c ${CONCURRENCY})`,
      ORDERS,
    );

    // Settle every invoice in the simulator without an IPN; the storm brings the IPNs.
    sim.faults.dropIpn = true;
    const expected = new Map<string, OrderStatus>();
    for (const [index, order] of created.entries()) {
      const outcome: SettleOutcome = index % 10 < 7 ? 'completed' : index % 10 < 9 ? 'cancelled' : 'failed';
      await sim.settle(order.token, outcome);
      expected.set(order.orderId, FINAL[outcome]);
    }

    // 10 IPNs per order, shaped and encoded as the simulator sends them, to the signed callback URL PayDunya was
    // given: 4 with the true status (duplicates), the others contradicting confirm (and "pending"), all shuffled.
    const ipns: { path: string; body: string; orderId: string }[] = [];
    const hash = sha512Hex(stack.files.secrets.paydunya.master_key);
    for (const { orderId, token } of created) {
      const invoice = sim.invoice(token);
      if (!invoice) throw new Error(`the simulator lost invoice ${token}`);
      const callback = new URL(invoice.actions.callback_url ?? '');
      for (let i = 0; i < IPNS_PER_ORDER; i++) {
        const status = i < 4 ? invoice.status : (STATUSES[i % STATUSES.length] ?? 'pending');
        const envelope = buildEnvelope(invoice, { hash, status });
        ipns.push({ path: `${callback.pathname}${callback.search}`, body: encodeIpnBody(envelope), orderId });
      }
    }
    shuffle(ipns);

    let next = 0;
    const outcomes: Record<string, number> = {};
    const applied = new Map<string, number>();
    const stormPhase = await cannon(
      `POST /webhooks/paydunya storm (${ipns.length} IPNs, ${CONCURRENCY} concurrent)`,
      200,
      {
        url: api.url,
        connections: CONCURRENCY,
        amount: ipns.length,
        requests: [
          {
            method: 'POST',
            setupRequest: (request, context) => {
              const ipn = ipns[next++];
              if (!ipn) throw new Error('more IPN requests built than IPNs');
              Object.assign(context, { orderId: ipn.orderId });
              return {
                ...request,
                path: ipn.path,
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: ipn.body,
              };
            },
            onResponse: (status, body, context) => {
              if (status !== 200) return;
              const outcome = String((JSON.parse(body) as { outcome?: string }).outcome);
              outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
              const { orderId } = context as { orderId: string };
              if (outcome === 'applied') applied.set(orderId, (applied.get(orderId) ?? 0) + 1);
            },
          },
        ],
      },
    );
    console.log(`\n${describePhase(stormPhase)}`);
    console.log(`  IPN outcomes    ${JSON.stringify(outcomes)}`);

    // Every order: the state confirm gives, exactly CREATED → PENDING → final, applied once, one invoice.
    const wrong: string[] = [];
    for (const { orderId } of created) {
      const found = await ctx.store.getOrderWithAudit(orderId);
      const want = expected.get(orderId);
      const trail = found?.audit.map((event) => `${event.from ?? '∅'}→${event.to}`).join(' ') ?? 'missing';
      const wantTrail = `∅→CREATED CREATED→PENDING PENDING→${want}`;
      if (found?.order.status !== want || trail !== wantTrail) {
        wrong.push(
          `${orderId}: ${found?.order.status ?? 'missing'} [${trail}], expected ${want} [${wantTrail}]`,
        );
      }
      if (applied.get(orderId) !== 1) wrong.push(`${orderId}: applied ${applied.get(orderId) ?? 0} times`);
      if (sim.invoiceCount(orderId) !== 1) wrong.push(`${orderId}: ${sim.invoiceCount(orderId)} invoices`);
    }
    const connections = transport.stats();
    const byState = [...expected.values()].reduce<Record<string, number>>((counts, status) => {
      counts[status] = (counts[status] ?? 0) + 1;
      return counts;
    }, {});
    console.log(
      [
        '',
        'Checks',
        `  orders          ${created.length} created of ${ORDERS}; expected final states ${JSON.stringify(byState)}`,
        `  wrong states    ${wrong.length}`,
        `  PayDunya calls  ${connections.requests} over ${connections.connectionsOpened} connection(s) (${connections.reusedConnections} reused)`,
        `  circuit breaker ${telemetry.counted(METRICS.circuitOpen)} opening(s)`,
        `  customers       ${made} signed-in accounts (one token each); JWKS fetched ${stack.issuer.jwksRequests()} time(s)`,
        `  load average    ${loadAverage()} (1, 5, 15 min) at the end`,
      ].join('\n'),
    );
    for (const line of wrong.slice(0, 20)) console.log(`    ${line}`);

    const failures = [
      warmUp.phase.unexpected + warmUp.phase.errors + warmUp.phase.timeouts,
      createPhase.unexpected + createPhase.errors + createPhase.timeouts,
      stormPhase.unexpected + stormPhase.errors + stormPhase.timeouts,
      wrong.length,
      created.length === ORDERS ? 0 : 1,
      stormPhase.requests === ipns.length ? 0 : 1,
    ].reduce((a, b) => a + b, 0);
    console.log(failures === 0 ? '\nPASS: zero errors, zero wrong states' : '\nFAIL: see the figures above');
    return failures === 0 ? 0 : 1;
  } finally {
    await stopAll();
    clearTimeout(hardLimit);
  }
};

const LOAD = defineCommand({
  name: 'npm run load',
  summary:
    "The go-live plan's load test against local mode started here on loopback: 100 POST /payments 10 at a time, " +
    'then a storm of 1,000 IPNs; prints requests/s, p50/p95/p99 and errors, exit 1 on any error or wrong state. ' +
    'Everything it starts is stopped before it exits.',
  options: {
    rush: {
      type: 'boolean',
      description:
        'run the on-sale rush instead: 500 checkouts 50 at a time under DynamoDB contention faults, the daily ' +
        'limit running out (scripts/load-rush.ts)',
    },
    seed: {
      type: 'string',
      value: 'N',
      default: '1',
      description: "with --rush: the integer seeding the fault injector's probability rules",
    },
  },
});

const values = commandLine(LOAD);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) exitWithUsage(LOAD, `--seed wants an integer, got ${values.seed}`);
const run: Promise<number> = values.rush
  ? import('./load-rush').then(({ runRush }) => runRush({ seed }))
  : main();
run.then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('FAIL:', error);
    process.exit(1);
  },
);
