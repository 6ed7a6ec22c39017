/**
 * Child process of `npm run bench` (forked with tsx, stdout to /dev/null as Lambda's would go to CloudWatch):
 * runs the handlers in-process against DynamoDB Local and the PayDunya simulator, beside the baseline, then one
 * payment lifecycle with ReturnConsumedCapacity. Sends its results to the parent over IPC.
 */
import { handleCreatePayment } from '../lambdas/create-payment/create-payment.handler';
import { handleGetPayment } from '../lambdas/payment-status/payment-status.handler';
import { ENV } from '../lambdas/shared/contract/env';
import type { AppContext } from '../lambdas/shared/domain/context';
import { createKeepAliveFetch, type HttpFetch } from '../lambdas/shared/paydunya/keep-alive-fetch';
import type { ApiEvent, ApiResult } from '../lambdas/shared/platform/http';
import { lambdaHandler } from '../lambdas/shared/platform/lambda';
import { handleWebhook } from '../lambdas/webhook/webhook.handler';
import { createBaseline } from './baseline';
import {
  awsOrderExtraBytes,
  type Phase,
  type PhaseUsage,
  type RuleEstimate,
  sizeRuleChecker,
  usageOf,
} from './capacity';
import { benchFunctions, stageConfig } from './config';
import { type CapacityMode, type DynamoCall, instrument } from './dynamo-instrument';
import { createEvent, ipnEvent, lambdaContext, statusEvent } from './events';
import { type BenchStack, startBenchStack } from './local-stack';
import { type Summary, summarize } from './stats';

export interface WorkerInput {
  readonly endpoint: string;
  readonly calls: number;
  readonly warmupCalls: number;
}

export interface Breakdown {
  /** Whole call, in the handler (or baseline) function. */
  readonly total: Summary;
  /** Inside DynamoDB calls (client.send). */
  readonly dynamo: Summary;
  /** Inside PayDunya HTTP calls. */
  readonly paydunya: Summary;
  /** The rest: our own code on the CPU (validation, crypto, marshalling outside the SDK, logs, metrics). */
  readonly other: Summary;
  readonly dynamoCalls: number;
  readonly paydunyaCalls: number;
}

export interface WorkerResult {
  readonly latency: {
    readonly create: { readonly handler: Breakdown; readonly baseline: Breakdown };
    readonly webhook: { readonly handler: Breakdown; readonly baseline: Breakdown };
    readonly status: { readonly handler: Breakdown };
    /**
     * The customer token check alone (`ctx.auth.authenticate` on a valid ES256 token, JWKS cached), per call: part
     * of the create and status handlers' own time, absent from the baseline.
     */
    readonly auth: { readonly verify: Summary; readonly jwksFetches: number };
    /** DynamoDB Local's latency per command over the timed calls. */
    readonly dynamoCommands: readonly { readonly command: string; readonly latency: Summary }[];
  };
  readonly capacity: {
    readonly total: readonly PhaseUsage[];
    readonly indexes: readonly PhaseUsage[];
    readonly rules: Readonly<Record<Phase, readonly RuleEstimate[]>>;
  };
  /** Largest size seen of each kind of item a lifecycle writes (bytes, DynamoDB's size rules). */
  readonly itemSizes: Readonly<Record<string, number>>;
  /** What one payment keeps in the table and its indexes (TTL'd items excluded), with DynamoDB's 100 B per item. */
  readonly storedBytesPerPayment: number;
  /** How much bigger an order is on AWS than here (see awsOrderExtraBytes). */
  readonly orderExtraBytes: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;
/** Bytes an order carries on AWS and not in local mode (KMS-wrapped data key and key ARN). */
const orderExtraBytes = awsOrderExtraBytes(process.env[ENV.piiKeyArn] ?? '');

// Everything the handlers log or emit as EMF goes to stdout/stderr, as on Lambda; count it per phase.
let outputBytes = 0;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    outputBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).length;
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

/** Time spent in DynamoDB and PayDunya during the current call. */
const current = { dynamoCalls: 0, paydunyaMs: 0, paydunyaCalls: 0 };
/**
 * When each DynamoDB call of the current call ran: create sends four writes at once, so the time spent waiting on
 * DynamoDB is the union of these intervals, not the sum of the calls' own latencies.
 */
let dynamoIntervals: [number, number][] = [];
const unionMs = (intervals: readonly [number, number][]): number => {
  let total = 0;
  let reach = Number.NEGATIVE_INFINITY;
  for (const [start, end] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (end > reach) {
      total += end - Math.max(start, reach);
      reach = end;
    }
  }
  return total;
};
/** Each DynamoDB command's own latency, by command (and number of items for a transaction). */
const perCommand = new Map<string, number[]>();
const onDynamoCall = (call: DynamoCall) => {
  const end = performance.now();
  dynamoIntervals.push([end - call.ms, end]);
  current.dynamoCalls++;
  const items = Array.isArray(call.input.TransactItems) ? ` (${call.input.TransactItems.length} items)` : '';
  const key = `${call.command.replace(/Command$/, '')}${items}`;
  const list = perCommand.get(key) ?? [];
  list.push(call.ms);
  perCommand.set(key, list);
};
const timedFetch =
  (inner: HttpFetch): HttpFetch =>
  async (url, init) => {
    const started = performance.now();
    try {
      return await inner(url, init);
    } finally {
      current.paydunyaMs += performance.now() - started;
      current.paydunyaCalls++;
    }
  };

interface Sample {
  readonly total: number;
  readonly dynamo: number;
  readonly paydunya: number;
  readonly dynamoCalls: number;
  readonly paydunyaCalls: number;
}

const timed = async (call: () => Promise<ApiResult>, expected: number): Promise<[Sample, unknown]> => {
  Object.assign(current, { dynamoCalls: 0, paydunyaMs: 0, paydunyaCalls: 0 });
  dynamoIntervals = [];
  const started = performance.now();
  const result = await call();
  const total = performance.now() - started;
  if (result.statusCode !== expected) {
    throw new Error(`expected HTTP ${expected}, got ${result.statusCode}: ${result.body}`);
  }
  const sample = {
    total,
    dynamo: unionMs(dynamoIntervals),
    paydunya: current.paydunyaMs,
    dynamoCalls: current.dynamoCalls,
    paydunyaCalls: current.paydunyaCalls,
  };
  return [sample, JSON.parse(result.body)];
};

const breakdown = (samples: readonly Sample[]): Breakdown => ({
  total: summarize(samples.map((s) => s.total)),
  dynamo: summarize(samples.map((s) => s.dynamo)),
  paydunya: summarize(samples.map((s) => s.paydunya)),
  other: summarize(samples.map((s) => s.total - s.dynamo - s.paydunya)),
  dynamoCalls: summarize(samples.map((s) => s.dynamoCalls)).p50,
  paydunyaCalls: summarize(samples.map((s) => s.paydunyaCalls)).p50,
});

type Handler = (event: ApiEvent) => Promise<ApiResult>;

/** The real Lambda entry points (lambdaHandler: logger context, CORS, metrics flushed per invocation). */
const handlersFor = (ctx: AppContext) => {
  const fn = (name: string) => {
    const config = benchFunctions().find((candidate) => candidate.name === name);
    return lambdaContext(`temba-payments-${stageConfig.stage}-${name}`, config?.memoryMb ?? 512);
  };
  const create = lambdaHandler(() => ctx, handleCreatePayment);
  const webhook = lambdaHandler(() => ctx, handleWebhook);
  const status = lambdaHandler(() => ctx, handleGetPayment);
  return {
    create: ((event) => create(event, fn('create-payment'))) as Handler,
    webhook: ((event) => webhook(event, fn('webhook'))) as Handler,
    status: ((event) => status(event, fn('payment-status'))) as Handler,
  };
};

/** Timed calls of `authenticate` alone. */
const AUTH_CALLS = 1000;
/** Times `authenticate` alone over the given tokens (after a short untimed pass), one call at a time. */
const measureAuth = async (ctx: AppContext, bearers: readonly string[]): Promise<Summary> => {
  const verify = async (i: number) => {
    const started = performance.now();
    await ctx.auth.authenticate(bearers[i % bearers.length]);
    return performance.now() - started;
  };
  for (let i = 0; i < 100; i++) await verify(i);
  const times: number[] = [];
  for (let i = 0; i < AUTH_CALLS; i++) times.push(await verify(i));
  return summarize(times);
};

/** Runs `count` pairs, the handler first on even rounds and the baseline first on odd ones. */
const interleave = async (count: number, a: () => Promise<void>, b: () => Promise<void>) => {
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      await a();
      await b();
    } else {
      await b();
      await a();
    }
  }
};

const measureLatency = async (stack: BenchStack) => {
  const handlerFetch = createKeepAliveFetch();
  const baselineFetch = createKeepAliveFetch();
  const handlerDoc = instrument(stack.newDocumentClient(), { onCall: onDynamoCall });
  const baselineDoc = instrument(stack.newDocumentClient(), { onCall: onDynamoCall });
  const ctx = await stack.context({ doc: handlerDoc, fetch: timedFetch(handlerFetch) });
  const handlers = handlersFor(ctx);
  const baseline = createBaseline({
    doc: baselineDoc,
    tableName: stack.tableName,
    fetch: timedFetch(baselineFetch),
    apiBase: stack.sim.apiBase('test'),
    keys: stack.keys,
    publicBaseUrl: ctx.config.publicBaseUrl,
    returnUrl: ctx.config.returnUrl,
    cancelUrl: ctx.config.cancelUrl,
    store: ctx.config.store,
  });

  // One customer per payment (their own account, as their own phone): the attempt limit, per account and per
  // phone, never refuses one of them. Their tokens are signed now, before anything is timed. The baseline's event
  // carries the same header (it reads no header).
  const bearer = await stack.tokensFor(
    Array.from({ length: input.warmupCalls + input.calls }, (_, i) => `bench-customer-${i + 1}`),
  );
  const customers = { warm: bearer.slice(0, input.warmupCalls), timed: bearer.slice(input.warmupCalls) };
  const ownerOf = new Map<string, string>();

  const tokens = {
    handler: { warm: [] as string[], timed: [] as string[] },
    baseline: { warm: [] as string[], timed: [] as string[] },
  };
  const orderIds: string[] = [];
  const samples = {
    createHandler: [] as Sample[],
    createBaseline: [] as Sample[],
    webhookHandler: [] as Sample[],
    webhookBaseline: [] as Sample[],
    status: [] as Sample[],
  };

  const createRound = async (warm: boolean) => {
    const round = customers[warm ? 'warm' : 'timed'];
    let handlerCall = 0;
    let baselineCall = 0;
    const customer = (i: number) => {
      const token = round[i];
      if (!token) throw new Error(`no customer token for call ${i}`);
      return token;
    };
    await interleave(
      round.length,
      async () => {
        const customerToken = customer(handlerCall++);
        const [sample, body] = await timed(() => handlers.create(createEvent(customerToken)), 201);
        const { token, orderId } = body as { token: string; orderId: string };
        tokens.handler[warm ? 'warm' : 'timed'].push(token);
        if (!warm) {
          samples.createHandler.push(sample);
          orderIds.push(orderId);
          ownerOf.set(orderId, customerToken);
        }
      },
      async () => {
        const customerToken = customer(baselineCall++);
        const [sample, body] = await timed(() => baseline.create(createEvent(customerToken)), 201);
        tokens.baseline[warm ? 'warm' : 'timed'].push((body as { token: string }).token);
        if (!warm) samples.createBaseline.push(sample);
      },
    );
  };
  await createRound(true);
  // The first warm-up call fetched the issuer's JWKS; from here on every verification uses the cached keys.
  const jwksAfterWarmUp = stack.issuer.jwksRequests();
  perCommand.clear();
  await createRound(false);

  // The customers pay: PayDunya marks the invoices completed (the simulator sends no IPN; we deliver them).
  const all = [
    ...tokens.handler.warm,
    ...tokens.handler.timed,
    ...tokens.baseline.warm,
    ...tokens.baseline.timed,
  ];
  for (const token of all) await stack.sim.settle(token, 'completed');
  const ipn = (token: string) => {
    const invoice = stack.sim.invoice(token);
    if (!invoice) throw new Error(`simulator lost invoice ${token}`);
    return ipnEvent(invoice, stack.ipnHash);
  };

  const webhookRound = async (warm: boolean) => {
    const handlerQueue = [...tokens.handler[warm ? 'warm' : 'timed']];
    const baselineQueue = [...tokens.baseline[warm ? 'warm' : 'timed']];
    await interleave(
      handlerQueue.length,
      async () => {
        const [sample, body] = await timed(() => handlers.webhook(ipn(handlerQueue.shift() ?? '')), 200);
        if ((body as { outcome?: string }).outcome !== 'applied') {
          throw new Error(`webhook did not apply the payment: ${JSON.stringify(body)}`);
        }
        if (!warm) samples.webhookHandler.push(sample);
      },
      async () => {
        const [sample] = await timed(() => baseline.webhook(ipn(baselineQueue.shift() ?? '')), 200);
        if (!warm) samples.webhookBaseline.push(sample);
      },
    );
  };
  const createCommands = new Map(perCommand);
  await webhookRound(true);
  perCommand.clear();
  for (const [key, values] of createCommands) perCommand.set(key, values);
  await webhookRound(false);

  // Status polls of the paid orders: no baseline (a read is the whole job), for the cost estimate's durations.
  for (const orderId of orderIds) {
    const owner = ownerOf.get(orderId) ?? '';
    const [sample, body] = await timed(() => handlers.status(statusEvent(orderId, owner)), 200);
    if ((body as { status?: string }).status !== 'COMPLETED')
      throw new Error(`order ${orderId} not completed`);
    samples.status.push(sample);
  }

  const jwksFetches = stack.issuer.jwksRequests();
  if (jwksAfterWarmUp !== 1 || jwksFetches !== 1) {
    throw new Error(
      `the JWKS was fetched ${jwksAfterWarmUp} time(s) by the warm-up and ${jwksFetches} in all: expected once`,
    );
  }
  // The token check alone, on the handlers' own authenticator (JWKS cached), over the customers' tokens.
  const verify = await measureAuth(
    ctx,
    customers.timed.map((token) => `Bearer ${token}`),
  );

  handlerFetch.close();
  baselineFetch.close();
  handlerDoc.destroy();
  baselineDoc.destroy();
  return {
    create: { handler: breakdown(samples.createHandler), baseline: breakdown(samples.createBaseline) },
    webhook: { handler: breakdown(samples.webhookHandler), baseline: breakdown(samples.webhookBaseline) },
    status: { handler: breakdown(samples.status) },
    auth: { verify, jwksFetches },
    dynamoCommands: [...perCommand]
      .map(([command, values]) => ({ command, latency: summarize(values) }))
      .sort((a, b) => a.latency.p50 - b.latency.p50),
  };
};

/**
 * One whole payment on a client whose every command carries ReturnConsumedCapacity: create (POST /payments),
 * the IPN (webhook, PayDunya confirm, COMPLETED), then the customer's status page shows it completed.
 */
const lifecycle = async (stack: BenchStack, mode: CapacityMode, checked: boolean) => {
  const calls: DynamoCall[] = [];
  const checker = checked ? sizeRuleChecker(stack.raw, stack.tableName, orderExtraBytes) : undefined;
  const doc = instrument(stack.newDocumentClient(), {
    capacity: mode,
    onCall: (call) => calls.push(call),
    ...(checker ? { around: checker.around } : {}),
  });
  const fetch = createKeepAliveFetch();
  const handlers = handlersFor(await stack.context({ doc, fetch }));
  const usage: PhaseUsage[] = [];
  const rules: Partial<Record<Phase, RuleEstimate[]>> = {};
  const phase = async (name: Phase, run: () => Promise<void>) => {
    calls.length = 0;
    const estimatesBefore = checker?.estimates.length ?? 0;
    const bytesBefore = outputBytes;
    await run();
    usage.push(usageOf(name, calls, outputBytes - bytesBefore));
    if (checker) rules[name] = checker.estimates.slice(estimatesBefore);
  };

  let token = '';
  let orderId = '';
  const [customer = ''] = await stack.tokensFor([`bench-lifecycle-${mode}`]);
  const event = createEvent(customer);
  await phase('create', async () => {
    const result = await handlers.create(event);
    ({ token, orderId } = JSON.parse(result.body) as { token: string; orderId: string });
  });
  await stack.sim.settle(token, 'completed');
  const invoice = stack.sim.invoice(token);
  if (!invoice) throw new Error('simulator lost the invoice');
  await phase('ipn', async () => {
    const result = await handlers.webhook(ipnEvent(invoice, stack.ipnHash));
    if (!result.body.includes('"applied"')) throw new Error(`IPN not applied: ${result.body}`);
  });
  await phase('status', async () => {
    const result = await handlers.status(statusEvent(orderId, customer));
    if (!result.body.includes('"COMPLETED"')) throw new Error(`status not completed: ${result.body}`);
  });
  fetch.close();
  doc.destroy();
  return { usage, rules: rules as Record<Phase, RuleEstimate[]> };
};

const main = async () => {
  const stack = await startBenchStack(input.endpoint);
  try {
    const latency = await measureLatency(stack);
    // The table now holds the day's counters and limit items: the lifecycle below is a steady-state payment.
    const total = await lifecycle(stack, 'TOTAL', false);
    const detailed = await lifecycle(stack, 'INDEXES', true);
    const itemSizes: Record<string, number> = {};
    for (const estimate of Object.values(detailed.rules).flat()) {
      for (const item of estimate.items) itemSizes[item.key] = Math.max(itemSizes[item.key] ?? 0, item.bytes);
    }
    // Kept for good: the order with its audit trail (in the table, its byDay entry, its token entry).
    const order = itemSizes['ORDER#…/ORDER'] ?? 0;
    const storedBytesPerPayment = 3 * (order + orderExtraBytes + 100);
    const result: WorkerResult = {
      latency,
      capacity: { total: total.usage, indexes: detailed.usage, rules: detailed.rules },
      itemSizes,
      storedBytesPerPayment,
      orderExtraBytes,
    };
    process.send?.({ ok: true, result });
  } finally {
    await stack.stop();
  }
};

// If the parent goes away, so does the worker (the simulator lives in this process and goes with it).
let finished = false;
process.on('disconnect', () => {
  if (!finished) process.exit(1);
});
process.on('SIGTERM', () => process.exit(1));

main().then(
  () => {
    finished = true;
    process.disconnect?.();
  },
  (error: unknown) => {
    finished = true;
    process.send?.({
      ok: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.disconnect?.();
    process.exitCode = 1;
  },
);
