/**
 * `npm run load -- --rush [--seed N]`: an on-sale rush against local mode, with DynamoDB's contention.
 *
 * Starts its own stack on loopback (DynamoDB Local on a free port, the PayDunya simulator, the API), with the
 * DynamoDB fault injector (local/dynamo-faults.ts) attached to the context's document client: emulated
 * contention (items held by in-flight transactions, +5 ms), and seeded probability rules on every write
 * (TransactionConflictException 3 %, ThrottlingException 2 %, TransactionConflict in TransactWriteItems 5 %).
 * The daily limit is on with a count below the number of checkouts, so the last ones are refused with 429.
 *
 * 1. Warm-up on a scratch table (its own context and API, no faults): 20 checkouts and their IPNs, so the JVM
 *    and the JIT are warm as a deployed API is; nothing of it is measured or checked.
 * 2. POST /payments x 500, 50 at a time, each with its own Idempotency-Key, body and customer: a signed-in
 *    account (a bearer token from the local issuer, one subject per checkout, all minted before the rush) and a
 *    phone, so the per-account and per-phone attempt limit is not what is measured. 201 and
 *    429 DAILY_LIMIT_REACHED are the expected answers.
 *    The day's limit usage is sampled every 200 ms (through the settle phase too).
 * 3. Every created order is ended through the simulator (70 % paid, 20 % cancelled, 10 % failed): a real
 *    form-encoded IPN to the signed callback URL, 20 at a time; an IPN answered other than 200 is resent
 *    (5 deliveries at most).
 * 4. Checks: no 5xx to any checkout, only 201 and 429 DAILY_LIMIT_REACHED; every IPN acknowledged within its
 *    deliveries; every order final as settled, with exactly CREATED → PENDING → final; no order left over by a
 *    refused checkout; the day's report (runDailyReport) equals a brute-force count over a table scan; the limit
 *    never over at any sample and, at the end, exactly the count and amount of the COMPLETED orders.
 *
 * Exits 0 only if every check passes; stops by itself within HARD_LIMIT_MS and stops everything it started.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_FLAGS, type Flags } from '../lambdas/shared/contract/flags';
import { METRICS } from '../lambdas/shared/contract/metrics';
import type { AppContext } from '../lambdas/shared/domain/context';
import type { DailyReport } from '../lambdas/shared/domain/daily-report';
import type { OrderStatus } from '../lambdas/shared/domain/order';
import type { PaymentStore } from '../lambdas/shared/domain/ports';
import { runDailyReport } from '../lambdas/shared/domain/reconcile';
import { correlationKeys } from '../lambdas/shared/platform/correlation';
import { startApiServer } from '../local/api-server';
import { attachDynamoFaults, type DynamoFaults, seededRandom } from '../local/dynamo-faults';
import { freePort } from '../local/free-port';
import type { SettleOutcome, Simulator } from '../local/paydunya-simulator/simulator';
import { RecordingTelemetry } from '../test/support/recording-telemetry';
import { describeMachine, loadAverage, startLoadStack } from './load-stack';

const CHECKOUTS = 500;
const CONCURRENCY = 50;
const MAX_COUNT = 480;
/** Far above 500 checkouts of at most 25,000 XOF: the count is what runs out. */
const MAX_XOF = 50_000_000;
const WARM_UP = 20;
const IPN_CONCURRENCY = 20;
/** Deliveries of one IPN at most: the first one and four resends. */
const IPN_DELIVERIES = 5;
const SAMPLE_EVERY_MS = 200;
const REQUEST_TIMEOUT_MS = 30_000;
const HARD_LIMIT_MS = 240_000;
const FAULT_RULES = [
  { error: 'TransactionConflictException', probability: 0.03 },
  { error: 'ThrottlingException', probability: 0.02 },
  { error: 'TransactionConflict', probability: 0.05 },
] as const;

const FINAL: Record<SettleOutcome, OrderStatus> = {
  completed: 'COMPLETED',
  cancelled: 'CANCELLED',
  failed: 'FAILED',
};
/** Statuses in which the money was taken, as the report's `paid` counts them (daily-report.ts). */
const PAID = new Set<string>(['COMPLETED', 'REFUNDED']);

interface Tally {
  count: number;
  amountXof: number;
}

interface Checkout {
  readonly index: number;
  readonly amount: number;
  /** HTTP status, or 0 when no answer came (connection error, timeout). */
  readonly status: number;
  readonly ms: number;
  readonly code?: string;
  readonly requestId?: string;
  readonly orderId?: string;
  readonly token?: string;
  readonly error?: string;
}

interface Settled {
  readonly orderId: string;
  readonly outcome: SettleOutcome;
  /** What each delivery of its IPN got: an HTTP status, or 0 for no answer. */
  readonly deliveries: number[];
}

/** A StoreBusyError (or any error) a store call threw, with the request it served. */
interface StoreFailure {
  readonly method: string;
  readonly name: string;
  readonly operation?: string;
  readonly cause?: string;
  readonly requestId?: string;
  readonly orderId?: string;
  readonly token?: string;
  readonly stack?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile. */
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

/** Runs `work` over `items`, `limit` at a time. */
const pool = async <T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
) => {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) await work(items[index] as T, index);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

const tally = (into: Record<string, Tally>, key: string, amount: number) => {
  const current = into[key] ?? { count: 0, amountXof: 0 };
  into[key] = { count: current.count + 1, amountXof: current.amountXof + amount };
};

const countBy = <T>(items: Iterable<T>, key: (item: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

const sortedJson = (value: Readonly<Record<string, Tally>>): string =>
  JSON.stringify(
    Object.entries(value)
      .filter(([, t]) => t.count > 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/**
 * Every store call, unchanged; a call that throws is recorded with the request it served (correlation keys), so
 * a 503 can be traced to the store operation whose retry budget ran out, with its stack.
 */
const observedStore = (store: PaymentStore, failures: StoreFailure[]): PaymentStore =>
  new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          const e = error as Error & { operation?: string; cause_?: string };
          failures.push({
            method: String(property),
            name: e?.name ?? String(error),
            ...(e?.operation ? { operation: e.operation } : {}),
            ...(e?.cause_ ? { cause: e.cause_ } : {}),
            ...correlationKeys(),
            ...(e?.stack ? { stack: e.stack } : {}),
          });
          throw error;
        });
      };
    },
  });

/** Records every failed DynamoDB attempt (below the SDK's retries) under the request that made it. */
const traceAttempts = (client: DynamoDBDocumentClient, trace: Map<string, string[]>) => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const e = error as Error & { CancellationReasons?: { Code?: string }[] };
        const reasons = e.CancellationReasons?.map((r) => r.Code ?? '?').join(',');
        const requestId = correlationKeys().requestId ?? '(no request)';
        const lines = trace.get(requestId) ?? [];
        lines.push(`${context.commandName ?? '?'}: ${e.name}${reasons ? ` [${reasons}]` : ''}`);
        trace.set(requestId, lines);
        throw error;
      }
    },
    // Above the deserializer (so the SDK's exception is seen), below the retry middleware (every attempt).
    { step: 'deserialize', priority: 'high', name: 'rushAttemptTrace' },
  );
};

const paymentBody = (index: number, amount: number) =>
  JSON.stringify({
    amount,
    currency: 'XOF',
    customer_email: `rush.${index}@example.bf`,
    customer_phone: `+2266${String(index).padStart(7, '0')}`,
    customer_name: 'Rush Load',
    items: [
      { name: 'Concert - Pass', quantity: 1, unit_price: amount - 2000 },
      { name: 'Parking', quantity: 2, unit_price: 1000 },
    ],
  });

/** The simulated customer behind checkout `index`: their own account, as their own phone (paymentBody). */
const subjectOf = (index: number) => `rush-customer-${index}`;

/** One POST /payments over fetch, by a signed-in customer (`bearer`: their token), timed to the end of its body. */
const checkout = async (url: string, index: number, amount: number, bearer: string): Promise<Checkout> => {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/payments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        authorization: `Bearer ${bearer}`,
      },
      body: paymentBody(index, amount),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    let body: {
      orderId?: string;
      token?: string;
      error?: { code?: string; requestId?: string; message?: string };
    } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Kept as a status without a body.
    }
    return {
      index,
      amount,
      status: response.status,
      ms,
      ...(body.error?.code ? { code: body.error.code } : {}),
      ...(body.error?.requestId ? { requestId: body.error.requestId } : {}),
      ...(body.orderId ? { orderId: body.orderId } : {}),
      ...(body.token ? { token: body.token } : {}),
      ...(response.status >= 500 ? { error: body.error?.message ?? text.slice(0, 200) } : {}),
    };
  } catch (error) {
    return {
      index,
      amount,
      status: 0,
      ms: performance.now() - started,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
};

/** Settles one invoice in the simulator (which posts its IPN) and resends the IPN until it is acknowledged. */
const settleWithResends = async (
  sim: Simulator,
  token: string,
  outcome: SettleOutcome,
): Promise<number[]> => {
  const first = await sim.settle(token, outcome);
  const deliveries = [first.ipnStatuses[0] ?? 0];
  while (deliveries.at(-1) !== 200 && deliveries.length < IPN_DELIVERIES) {
    await sleep(250 * 2 ** (deliveries.length - 1));
    deliveries.push((await sim.resendIpn(token)) ?? 0);
  }
  return deliveries;
};

/** Every order item in the table (a scan: fine for a load test's table, never in the service). */
const scanOrders = async (documents: DynamoDBDocumentClient, tableName: string) => {
  const orders: Record<string, unknown>[] = [];
  let startKey: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: '#entity = :order',
        ExpressionAttributeNames: { '#entity': 'entity' },
        ExpressionAttributeValues: { ':order': 'order' },
        ExclusiveStartKey: startKey,
      }),
    );
    orders.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return orders;
};

/** The report's figures counted by hand from the scanned orders booked on the day. */
const bruteForce = (orders: readonly Record<string, unknown>[], day: string) => {
  const byStatus: Record<string, Tally> = {};
  const byPaymentMethod: Record<string, Tally> = {};
  const all: Tally = { count: 0, amountXof: 0 };
  const paid: Tally = { count: 0, amountXof: 0 };
  const late: Tally = { count: 0, amountXof: 0 };
  let discrepancies = 0;
  for (const order of orders) {
    if (order.bookedDay !== day) continue;
    const amount = Number(order.amount);
    const status = String(order.status);
    tally(byStatus, status, amount);
    all.count++;
    all.amountXof += amount;
    if (PAID.has(status)) {
      paid.count++;
      paid.amountXof += amount;
      tally(
        byPaymentMethod,
        typeof order.paymentMethod === 'string' ? order.paymentMethod : 'unknown',
        amount,
      );
      if (order.late === true) {
        late.count++;
        late.amountXof += amount;
      }
    }
    if (order.discrepancy) discrepancies++;
  }
  return { byStatus, byPaymentMethod, all, paid, late, discrepancies };
};

const compareReport = (report: DailyReport, brute: ReturnType<typeof bruteForce>): string[] => {
  const problems: string[] = [];
  const same = (what: string, got: unknown, want: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`${what}: report ${JSON.stringify(got)}, orders ${JSON.stringify(want)}`);
    }
  };
  same('byStatus', sortedJson(report.byStatus as Record<string, Tally>), sortedJson(brute.byStatus));
  same('orders', report.orders, brute.all.count);
  same('amountXof', report.amountXof, brute.all.amountXof);
  same('paid', { count: report.paid.count, amountXof: report.paid.amountXof }, brute.paid);
  same(
    'byPaymentMethod',
    sortedJson(report.byPaymentMethod as Record<string, Tally>),
    sortedJson(brute.byPaymentMethod),
  );
  const methods = Object.values(report.byPaymentMethod).reduce(
    (sum, t) => ({ count: sum.count + t.count, amountXof: sum.amountXof + t.amountXof }),
    { count: 0, amountXof: 0 },
  );
  same('byPaymentMethod summed', methods, { count: report.paid.count, amountXof: report.paid.amountXof });
  same(
    'latePayments',
    { count: report.latePayments.count, amountXof: report.latePayments.amountXof },
    brute.late,
  );
  same('discrepancies', report.discrepancies, brute.discrepancies);
  return problems;
};

/** The rush, `seed` seeding the fault injector's probability rules (`npm run load -- --rush --seed N`). */
export const runRush = async ({ seed }: { readonly seed: number }): Promise<number> => {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  let phase = 'starting';
  const hardLimit = setTimeout(() => {
    console.error(`FAIL: the rush did not finish within ${HARD_LIMIT_MS / 1000} s (during: ${phase})`);
    // Stopping gets 10 s of its own; past that the process goes anyway.
    setTimeout(() => process.exit(1), 10_000).unref();
    void stopAll().finally(() => process.exit(1));
  }, HARD_LIMIT_MS);
  hardLimit.unref();
  const wallStarted = performance.now();

  try {
    console.log(describeMachine());
    console.log(
      `Rush: ${CHECKOUTS} checkouts at ${CONCURRENCY} concurrent, daily limit ${MAX_COUNT} orders / ${MAX_XOF} XOF, seed ${seed}`,
    );
    console.log('Starting DynamoDB Local, the PayDunya simulator and the API on loopback…');
    const stack = await startLoadStack(stops, 'rush');
    const { sim } = stack;
    const flags: Flags = {
      ...DEFAULT_FLAGS,
      payments_enabled: { enabled: true },
      daily_limit: { enabled: true, max_xof: MAX_XOF, max_count: MAX_COUNT },
    };
    await writeFile(stack.files.flagsFile, `${JSON.stringify(flags, null, 2)}\n`);
    const tableName = await stack.newTable('rush');
    const warmTable = await stack.newTable('rush-warm');
    // Reads the truth for the checks: no fault injector, strongly consistent scans.
    const truth = DynamoDBDocumentClient.from(stack.admin);
    const alerts: Record<string, number> = {};
    const printAlert = (line: string) => {
      const type = /^\[alert \w+\] ([\w-]+):/.exec(line)?.[1] ?? 'other';
      alerts[type] = (alerts[type] ?? 0) + 1;
    };

    const { contextOn } = stack;
    // Every customer's token, signed before anything is timed (ES256 signing is not free).
    const warmIndexes = Array.from({ length: WARM_UP }, (_, i) => 9_000_000 + i);
    const rushIndexes = Array.from({ length: CHECKOUTS }, (_, i) => i);
    const minted = await stack.tokensFor([...warmIndexes, ...rushIndexes].map(subjectOf));
    const warmTokens = minted.slice(0, WARM_UP);
    const rushTokens = minted.slice(WARM_UP);
    const tokenOf = (tokens: readonly string[], i: number): string => {
      const token = tokens[i];
      if (!token) throw new Error(`no token minted for checkout ${i}`);
      return token;
    };

    // 1. Warm-up on a scratch table with its own API: the same code paths, none of it in the figures.
    phase = 'warm-up';
    {
      const port = await freePort();
      const warmCtx = await contextOn(warmTable, port, { telemetry: new RecordingTelemetry() });
      const warmApi = await startApiServer(warmCtx, port);
      try {
        const warm: Checkout[] = [];
        await pool(warmIndexes, 10, async (index, i) => {
          warm.push(await checkout(warmApi.url, index, 15_000, tokenOf(warmTokens, i)));
        });
        await pool(
          warm.filter((c) => c.token),
          10,
          async (c, i) => {
            await sim.settle(c.token as string, i % 2 === 0 ? 'completed' : 'cancelled');
          },
        );
        const statuses = countBy(warm, (c) => String(c.status));
        console.log(
          `warm-up: ${WARM_UP} checkouts on a scratch table ${JSON.stringify(statuses)} (not measured)`,
        );
      } finally {
        await warmApi.stop();
      }
    }

    // The measured stack: faults on the context's document client, every attempt traced per request.
    let faults: DynamoFaults | undefined;
    const attempts = new Map<string, string[]>();
    const storeFailures: StoreFailure[] = [];
    const telemetry = new RecordingTelemetry();
    const port = await freePort();
    const built = await contextOn(tableName, port, {
      telemetry,
      printAlert,
      instrumentDynamo: (client) => {
        traceAttempts(client, attempts);
        faults = attachDynamoFaults(client, { emulateContention: { holdMs: 5 }, seed });
        for (const rule of FAULT_RULES) faults.inject(rule);
      },
    });
    if (!faults) throw new Error('buildLocalContext did not call instrumentDynamo');
    const injected = faults;
    const ctx: AppContext = { ...built, store: observedStore(built.store, storeFailures) };
    const api = await startApiServer(ctx, port);
    stops.push(api.stop);

    const today = new Date().toISOString().slice(0, 10);
    const samples: { count: number; xof: number }[] = [];
    let sampleErrors = 0;
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling) return;
      sampling = true;
      // `built.store`: the sampler's own reads are not the service's failures.
      built.store
        .getDailyLimitUsage(today)
        .then((usage) => samples.push({ count: usage.reservedCount, xof: usage.reservedXof }))
        .catch(() => sampleErrors++)
        .finally(() => {
          sampling = false;
        });
    }, SAMPLE_EVERY_MS);
    stops.push(async () => clearInterval(sampler));

    // 2. The rush: 500 checkouts, 50 at a time.
    phase = 'checkouts';
    console.log(`\nPOST /payments x ${CHECKOUTS}, ${CONCURRENCY} concurrent…`);
    const answers: Checkout[] = [];
    const checkoutStarted = performance.now();
    await pool(rushIndexes, CONCURRENCY, async (i) => {
      answers.push(await checkout(api.url, i, 5_000 + 500 * (i % 41), tokenOf(rushTokens, i)));
    });
    const checkoutSeconds = (performance.now() - checkoutStarted) / 1000;
    const statuses: Record<string, number> = {};
    for (const a of answers) {
      const key =
        a.status === 0
          ? 'no answer'
          : a.code && a.status !== 201
            ? `${a.status} ${a.code}`
            : String(a.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
    const created = answers.filter((a) => a.status === 201 && a.orderId && a.token);
    const refused = answers.filter((a) => a.status === 429 && a.code === 'DAILY_LIMIT_REACHED');
    const serverErrors = answers.filter((a) => a.status >= 500);
    /** Neither 5xx nor an expected answer: another 4xx, a 201 without an order, no answer at all. */
    const unexpected = answers.filter(
      (a) =>
        a.status < 500 &&
        !(a.status === 201 && a.orderId && a.token) &&
        !(a.status === 429 && a.code === 'DAILY_LIMIT_REACHED'),
    );
    console.log(`  answers         ${JSON.stringify(statuses)} in ${checkoutSeconds.toFixed(2)} s`);
    const faultsAfterCheckouts = { ...injected.counts() };

    // 3. Every order ended by an IPN through the simulator, 20 at a time.
    phase = 'IPNs';
    const random = seededRandom(seed);
    const order = created.map((c) => ({ c, key: random() })).sort((a, b) => a.key - b.key);
    const plan = order.map(({ c }, i): { c: Checkout; outcome: SettleOutcome } => ({
      c,
      outcome:
        i < Math.round(order.length * 0.7)
          ? 'completed'
          : i < Math.round(order.length * 0.9)
            ? 'cancelled'
            : 'failed',
    }));
    console.log(
      `Settling ${plan.length} orders through the simulator's IPNs, ${IPN_CONCURRENCY} concurrent…`,
    );
    const settled: Settled[] = [];
    const settleErrors: string[] = [];
    const settleStarted = performance.now();
    await pool(plan, IPN_CONCURRENCY, async ({ c, outcome }) => {
      try {
        const deliveries = await settleWithResends(sim, c.token as string, outcome);
        settled.push({ orderId: c.orderId as string, outcome, deliveries });
      } catch (error) {
        settleErrors.push(`${c.orderId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    const settleSeconds = (performance.now() - settleStarted) / 1000;
    clearInterval(sampler);
    while (sampling) await sleep(10);
    const resent = settled.filter((s) => s.deliveries.length > 1);
    const unacknowledged = settled.filter((s) => s.deliveries.at(-1) !== 200);
    const ipnStatuses: Record<string, number> = {};
    for (const s of settled) for (const d of s.deliveries) ipnStatuses[d] = (ipnStatuses[d] ?? 0) + 1;
    console.log(
      `  IPN deliveries  ${JSON.stringify(ipnStatuses)} in ${settleSeconds.toFixed(2)} s; ${resent.length} order(s) needed a resend`,
    );

    // 4. Checks.
    phase = 'checks';
    const failures: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok) failures.push(what);
      return ok;
    };

    check(serverErrors.length === 0, `${serverErrors.length} checkout(s) answered 5xx`);
    check(
      unexpected.length === 0,
      `${unexpected.length} checkout(s) answered neither 5xx nor 201 / 429 DAILY_LIMIT_REACHED (or not at all)`,
    );
    check(
      created.length === Math.min(CHECKOUTS, MAX_COUNT),
      `${created.length} checkouts created, expected ${Math.min(CHECKOUTS, MAX_COUNT)} (the limit refuses only when full)`,
    );
    check(settleErrors.length === 0, `${settleErrors.length} settle(s) refused by the simulator`);
    check(
      unacknowledged.length === 0,
      `${unacknowledged.length} IPN(s) never answered 200 within ${IPN_DELIVERIES} deliveries`,
    );

    // Every order final as settled, with exactly CREATED → PENDING → final.
    const expected = new Map(plan.map(({ c, outcome }) => [c.orderId as string, FINAL[outcome]]));
    const wrong: string[] = [];
    await pool([...expected], 10, async ([orderId, want]) => {
      const found = await built.store.getOrderWithAudit(orderId);
      const trail = found?.audit.map((e) => `${e.from ?? '∅'}→${e.to}`).join(' ') ?? 'missing';
      const wantTrail = `∅→CREATED CREATED→PENDING PENDING→${want}`;
      if (found?.order.status !== want || trail !== wantTrail) {
        wrong.push(
          `${orderId}: ${found?.order.status ?? 'missing'} [${trail}], expected ${want} [${wantTrail}]`,
        );
      }
    });
    check(wrong.length === 0, `${wrong.length} order(s) not final as settled with CREATED → PENDING → final`);

    const scanned = await scanOrders(truth, tableName);
    const leftovers = scanned.filter((o) => !expected.has(String(o.orderId)));
    check(
      leftovers.length === 0,
      `${leftovers.length} order(s) in the table that no 201 answered (left by refused checkouts): ${leftovers
        .slice(0, 5)
        .map((o) => `${String(o.orderId)} ${String(o.status)}`)
        .join(', ')}`,
    );

    // The day's report against a brute-force count over the table.
    phase = 'daily report';
    let report: DailyReport | undefined;
    let reportProblems: string[] = [];
    const endDay = new Date().toISOString().slice(0, 10);
    if (check(endDay === today, `the run crossed midnight UTC (${today} → ${endDay}); run it again`)) {
      try {
        report = await runDailyReport(ctx, today, { recheckHours: 48, concurrency: 5 });
        reportProblems = compareReport(report, bruteForce(scanned, today));
      } catch (error) {
        reportProblems = [
          `runDailyReport threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        ];
      }
    }
    check(
      reportProblems.length === 0,
      `the daily report differs from the orders: ${reportProblems.join('; ')}`,
    );

    // The limit: never over at any sample; at the end exactly the COMPLETED orders.
    phase = 'limit';
    const finalUsage = await built.store.getDailyLimitUsage(today);
    samples.push({ count: finalUsage.reservedCount, xof: finalUsage.reservedXof });
    const over = samples.filter((s) => s.count > MAX_COUNT || s.xof > MAX_XOF);
    const peak = samples.reduce(
      (p, s) => ({ count: Math.max(p.count, s.count), xof: Math.max(p.xof, s.xof) }),
      {
        count: 0,
        xof: 0,
      },
    );
    check(
      over.length === 0,
      `the limit was over at ${over.length} sample(s), peak ${peak.count} orders / ${peak.xof} XOF`,
    );
    check(sampleErrors === 0, `${sampleErrors} limit sample(s) could not be read`);
    const completed = scanned.filter((o) => o.status === 'COMPLETED');
    const completedXof = completed.reduce((sum, o) => sum + Number(o.amount), 0);
    check(
      finalUsage.reservedCount === completed.length && finalUsage.reservedXof === completedXof,
      `limit usage at the end ${finalUsage.reservedCount} orders / ${finalUsage.reservedXof} XOF, COMPLETED orders ${completed.length} / ${completedXof} XOF`,
    );

    // Summary.
    const wallSeconds = (performance.now() - wallStarted) / 1000;
    const counts = injected.counts();
    const ms = (p: number) => `${percentile(latencies, p).toFixed(1)} ms`;
    const byKind = (c: Readonly<Record<string, number>>) =>
      Object.entries(c)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none';
    const rows: [string, string][] = [
      ['checkouts', `${answers.length} of ${CHECKOUTS}`],
      ['concurrency', `${CONCURRENCY} (IPNs ${IPN_CONCURRENCY})`],
      [
        'customers',
        `${new Set(rushIndexes.map(subjectOf)).size} signed-in accounts, one token each (minted before the rush); JWKS fetched ${stack.issuer.jwksRequests()} time(s) by 2 APIs`,
      ],
      ['201 created', String(answers.filter((a) => a.status === 201).length)],
      ['429 DAILY_LIMIT_REACHED', String(refused.length)],
      [
        '5xx',
        `${serverErrors.length}${serverErrors.length ? ` ${JSON.stringify(Object.fromEntries(Object.entries(statuses).filter(([k]) => k.startsWith('5'))))}` : ''}`,
      ],
      ['other / no answer', String(unexpected.length)],
      ['requests/s', (answers.length / checkoutSeconds).toFixed(1)],
      [
        'latency p50 / p95 / p99',
        `${ms(50)} / ${ms(95)} / ${ms(99)} (max ${(latencies.at(-1) ?? Number.NaN).toFixed(1)} ms)`,
      ],
      ['faults injected (checkouts)', byKind(faultsAfterCheckouts)],
      ['faults injected (whole run)', `${injected.log.length}: ${byKind(counts)}`],
      ['IPNs settled', `${settled.length} (${byKind(countBy(plan, (p) => p.outcome))})`],
      ['IPN deliveries', byKind(ipnStatuses)],
      [
        'IPN resends',
        `${resent.length} order(s), ${resent.reduce((n, s) => n + s.deliveries.length - 1, 0)} resend(s)`,
      ],
      [
        'limit peak vs limit',
        `${peak.count} / ${MAX_COUNT} orders, ${peak.xof} / ${MAX_XOF} XOF (${samples.length} samples)`,
      ],
      [
        'limit at end vs COMPLETED',
        `${finalUsage.reservedCount} / ${completed.length} orders, ${finalUsage.reservedXof} / ${completedXof} XOF`,
      ],
      ['orders final, trail ok', `${expected.size - wrong.length} of ${expected.size}`],
      [
        'report == orders',
        report && reportProblems.length === 0
          ? `yes (paid ${report.paid.count}, ${report.paid.amountXof} XOF; ${report.orders} booked)`
          : 'no',
      ],
      [
        'store calls that threw',
        byKind(
          countBy(
            storeFailures,
            (f) => `${f.method}:${f.name}${f.operation ? ` (${f.operation}, ${f.cause})` : ''}`,
          ),
        ),
      ],
      ['alerts', byKind(alerts)],
      [
        'PaymentCreated / Completed / Cancelled / Failed',
        [METRICS.paymentCreated, METRICS.paymentCompleted, METRICS.paymentCancelled, METRICS.paymentFailed]
          .map((m) => telemetry.counted(m))
          .join(' / '),
      ],
      ['wall time', `${wallSeconds.toFixed(1)} s (hard limit ${HARD_LIMIT_MS / 1000} s)`],
      ['load average', `${loadAverage()} at the end`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(`\nSummary (seed ${seed})`);
    for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);

    if (failures.length > 0) {
      console.log('\nFailed checks');
      for (const line of failures) console.log(`  - ${line}`);
      for (const line of wrong.slice(0, 10)) console.log(`    ${line}`);
      // What the failing requests went through: the store operation that gave up, its stack, the attempts.
      for (const answer of serverErrors.concat(unexpected).slice(0, 5)) {
        console.log(
          `\n  checkout #${answer.index} (${answer.amount} XOF): ${answer.status || 'no answer'} ${answer.code ?? ''} requestId ${answer.requestId ?? '-'} after ${answer.ms.toFixed(0)} ms ${answer.error ?? ''}`,
        );
        for (const f of storeFailures.filter((f) => f.requestId && f.requestId === answer.requestId)) {
          console.log(
            `    store.${f.method} threw ${f.name}${f.operation ? ` (${f.operation}, ${f.cause})` : ''}`,
          );
          if (f.stack)
            console.log(
              f.stack
                .split('\n')
                .slice(0, 12)
                .map((l) => `      ${l}`)
                .join('\n'),
            );
        }
        const tried = attempts.get(answer.requestId ?? '') ?? [];
        if (tried.length > 0)
          console.log(`    failed DynamoDB attempts (${tried.length}): ${tried.join('; ')}`);
      }
      for (const s of unacknowledged.slice(0, 5)) {
        console.log(`\n  IPN of ${s.orderId} (${s.outcome}): deliveries ${s.deliveries.join(', ')}`);
      }
      for (const line of settleErrors.slice(0, 5)) console.log(`  settle: ${line}`);
      for (const log of telemetry.logs.filter((l) => l.level === 'error').slice(0, 5)) {
        console.log(`  logged error: ${log.message} ${JSON.stringify(log.attributes).slice(0, 1_500)}`);
      }
    }
    console.log(
      failures.length === 0 ? '\nPASS: every check passed' : `\nFAIL: ${failures.length} check(s) failed`,
    );
    return failures.length === 0 ? 0 : 1;
  } finally {
    await stopAll();
    clearTimeout(hardLimit);
  }
};
