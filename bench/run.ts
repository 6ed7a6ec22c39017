/**
 * `npm run bench` (`-- --quick` for CI: fewer runs and calls, deployed functions only, under a minute).
 *
 * 1. Bundles: each function built by the CDK itself (NodejsFunction + the shared LAMBDA_BUNDLING options), sizes,
 *    composition from esbuild's metafile, and what-if variants built with the same options.
 * 2. Cold starts: fresh `node` processes importing each bundle and building its context (fake ARNs, no AWS).
 * 3. Latency: the handlers in-process against DynamoDB Local and the PayDunya simulator, beside a baseline.
 * 4. DynamoDB units of one payment lifecycle, from ReturnConsumedCapacity and from the documented rules.
 * 5. The monthly AWS cost of 10,000 payments.
 *
 * Prints the tables and writes bench/results.md (quick runs: .bench/results.quick.md). Everything it starts
 * (DynamoDB Local, the worker, the simulator inside it, probe processes) is stopped before it exits.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { commandLine, defineCommand } from '../scripts/ops/cli';
import { type BundleResult, buildBundles, namedZodImports } from './bundles';
import { type ColdProfile, profileColdStart } from './cold-profile';
import { type ColdStartStats, measureColdStarts, type ProbeTarget, probeOnce } from './cold-start';
import { benchFunctions, modeFrom, ROOT, SCRATCH, stageConfig } from './config';
import { ASSUMPTIONS, type CostInput, monthlyCost } from './cost';
import { freePort, runWorker, stopWorker } from './latency';
import { type BenchResults, renderReport } from './report';

const BENCH = defineCommand({
  name: 'npm run bench',
  summary:
    'Bundle sizes, cold starts, handler latency beside a baseline, DynamoDB units of one payment and the monthly ' +
    'AWS cost of 10,000 payments; prints the tables and writes bench/results.md. Everything it starts is stopped ' +
    'before it exits.',
  options: {
    quick: {
      type: 'boolean',
      description:
        'for CI: fewer runs and calls, deployed functions only, under a minute; writes .bench/results.quick.md',
    },
  },
});

const mode = modeFrom(commandLine(BENCH).quick ? ['--quick'] : []);
const startedAt = new Date();
const clock = performance.now();
const step = (message: string) =>
  console.error(`[bench ${((performance.now() - clock) / 1000).toFixed(0).padStart(3)} s] ${message}`);

let dynamo: DynamoDbLocal | undefined;
const stopAll = async () => {
  stopWorker();
  const running = dynamo;
  dynamo = undefined;
  await running?.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130));
  });
}

const main = async () => {
  mkdirSync(SCRATCH, { recursive: true });
  const loadBefore = loadavg();
  const functions = benchFunctions().filter((fn) => fn.deployed || !mode.quick);
  const deployed = functions.filter((fn) => fn.deployed);

  step(`bundling ${functions.length} functions through the CDK`);
  const bundles = await buildBundles(functions);
  const byName = new Map(bundles.map((bundle) => [bundle.fn.name, bundle]));
  const bundleOf = (name: string): BundleResult => {
    const bundle = byName.get(name);
    if (!bundle) throw new Error(`no bundle for ${name}`);
    return bundle;
  };

  step('checking that no cold start opens a connection');
  const guard = new Map<string, readonly string[]>();
  for (const bundle of bundles) {
    const result = await probeOnce(
      { bundle: bundle.mjs, env: bundle.fn.env, event: bundle.fn.coldEvent },
      { guard: true },
    );
    guard.set(bundle.fn.name, result.connections ?? []);
    // The cold event must be answered as intended (create-payment and payment-status: 401 for want of a token,
    // before the stage's JWKS is fetched), or the cold start would time something else than building the context.
    if (bundle.fn.coldStatus !== undefined && result.status !== bundle.fn.coldStatus) {
      throw new Error(
        `${bundle.fn.name} answered its cold-start event with ${result.status}, not ${bundle.fn.coldStatus}`,
      );
    }
  }

  // Every variant is measured in the same round-robin as the bundles it is compared with, so a busy moment of
  // the machine lands on all of them alike (the what-ifs and the source-map comparison: full runs only).
  const targets = new Map<string, ProbeTarget | 'empty'>([['node', 'empty']]);
  for (const bundle of bundles) {
    targets.set(bundle.fn.name, { bundle: bundle.mjs, env: bundle.fn.env, event: bundle.fn.coldEvent });
  }
  if (!mode.quick) {
    for (const fn of deployed) {
      const bundle = bundleOf(fn.name);
      for (const variant of bundle.variants.filter((v) => !v.sameAsBuilt)) {
        targets.set(`${variant.id}:${fn.name}`, { bundle: variant.mjs, env: fn.env, event: fn.coldEvent });
      }
      targets.set(`no-source-maps:${fn.name}`, {
        bundle: bundle.mjs,
        env: { ...fn.env, NODE_OPTIONS: '' },
        event: fn.coldEvent,
      });
    }
  }
  step(`cold starts: ${mode.coldStartRuns} fresh processes for each of ${targets.size} targets`);
  const measured = await measureColdStarts(targets, mode.coldStartRuns);
  const cold = new Map<string, ColdStartStats>();
  const whatIfCold = new Map<string, ColdStartStats>();
  const noSourceMaps = new Map<string, ColdStartStats>();
  for (const [key, stats] of measured) {
    if (key.startsWith('no-source-maps:')) noSourceMaps.set(key.slice('no-source-maps:'.length), stats);
    else if (key.includes(':')) whatIfCold.set(key, stats);
    else cold.set(key, stats);
  }

  const profiles = new Map<string, ColdProfile>();
  if (!mode.quick) step('profiling one cold start per deployed function (--cpu-prof)');
  for (const fn of mode.quick ? [] : deployed) {
    const bundle = bundleOf(fn.name);
    const metafile = JSON.parse(readFileSync(join(bundle.dir, 'index.meta.json'), 'utf8')) as Metafile;
    profiles.set(
      fn.name,
      await profileColdStart({ bundle: bundle.mjs, env: fn.env, event: fn.coldEvent }, metafile),
    );
  }

  step('starting DynamoDB Local on a free loopback port');
  dynamo = await startDynamoDbLocal({ port: await freePort() });
  step(
    `latency: ${mode.calls} timed calls of each handler and baseline (+${mode.warmupCalls} warm-up), then one lifecycle`,
  );
  const createFn = deployed.find((fn) => fn.name === 'create-payment');
  const { NODE_OPTIONS: _ignored, ...workerEnv } = createFn?.env ?? {};
  const worker = await runWorker(
    { endpoint: dynamo.endpoint, calls: mode.calls, warmupCalls: mode.warmupCalls },
    workerEnv,
  );
  await stopAll();
  step('DynamoDB Local stopped; computing the cost');

  const phase = (name: 'create' | 'ipn' | 'status') => {
    const rules = worker.capacity.rules[name] ?? [];
    const local = worker.capacity.total.find((usage) => usage.phase === name);
    return {
      tableWrite: rules.reduce((total, e) => total + e.tableWrite, 0),
      indexWrite: rules.reduce((total, e) => total + e.indexWrite, 0),
      tableWriteAws: rules.reduce((total, e) => total + e.tableWriteAws, 0),
      indexWriteAws: rules.reduce((total, e) => total + e.indexWriteAws, 0),
      read: rules.reduce((total, e) => total + e.read, 0),
      localWrite: local?.write ?? 0,
      localRead: local?.read ?? 0,
      logBytes: local?.logBytes ?? 0,
    };
  };
  const units = { create: phase('create'), ipn: phase('ipn'), status: phase('status') };
  // What AWS would bill: the documented rules on the items' sizes, orders as big as they are on AWS.
  const lifecycleWrite = Object.values(units).reduce(
    (total, p) => total + p.tableWriteAws + p.indexWriteAws,
    0,
  );
  const coldMedian = (name: string) => cold.get(name)?.total.p50 ?? 0;
  const costInput: CostInput = {
    payments: 10_000,
    functions: [
      {
        name: 'create-payment',
        memoryMb: stageConfig.functions.createPayment.memoryMb,
        invocationsPerPayment: 1,
        durationMs: worker.latency.create.handler.total.p50,
        coldStartMs: coldMedian('create-payment'),
        paydunyaCalls: 1,
        secrets: 2,
        readsFlags: true,
        kmsPerInvocation: 1,
      },
      {
        name: 'webhook',
        memoryMb: stageConfig.functions.webhook.memoryMb,
        invocationsPerPayment: 1,
        durationMs: worker.latency.webhook.handler.total.p50,
        coldStartMs: coldMedian('webhook'),
        paydunyaCalls: 1,
        secrets: 2,
        readsFlags: false,
        kmsPerInvocation: 0,
      },
      {
        name: 'payment-status',
        memoryMb: stageConfig.functions.paymentStatus.memoryMb,
        invocationsPerPayment: ASSUMPTIONS.statusPollsPerPayment,
        durationMs: worker.latency.status.handler.total.p50,
        coldStartMs: coldMedian('payment-status'),
        paydunyaCalls: 0,
        secrets: 0,
        readsFlags: false,
        kmsPerInvocation: 0,
      },
    ],
    writeUnitsPerPayment: lifecycleWrite,
    readUnitsPerPayment:
      units.create.read + units.ipn.read + ASSUMPTIONS.statusPollsPerPayment * units.status.read,
    storedBytesPerPayment: worker.storedBytesPerPayment,
    handlerLogBytesPerPayment: units.create.logBytes + units.ipn.logBytes + units.status.logBytes,
    handlerLogBytesPerStatusPoll: units.status.logBytes,
    wafRules:
      6 +
      (stageConfig.waf.webhookAllowlist.ipv4.length + stageConfig.waf.webhookAllowlist.ipv6.length > 0
        ? 1
        : 0),
  };

  const cpu = cpus();
  const results: BenchResults = {
    mode,
    startedAt,
    durationSeconds: (performance.now() - clock) / 1000,
    command: mode.quick ? 'npm run bench -- --quick' : 'npm run bench',
    machine: {
      cpu: cpu[0]?.model.trim() ?? 'unknown CPU',
      cores: cpu.length,
      memoryGb: totalmem() / 1024 ** 3,
      os: `Linux ${release()}`,
      node: process.version,
      loadBefore,
      loadAfter: loadavg(),
    },
    bundles,
    guard,
    cold,
    profiles,
    whatIfCold,
    noSourceMaps,
    worker,
    units,
    cost: monthlyCost(costInput),
    costWithPaydunya: monthlyCost(costInput, ASSUMPTIONS.paydunyaRoundTripMs),
    costInput,
    zodFiles: namedZodImports(),
    constructUsesSharedBundling: readFileSync(
      join(ROOT, 'lib', 'constructs', 'payment-function.ts'),
      'utf8',
    ).includes('LAMBDA_BUNDLING'),
  };
  const report = renderReport(results);
  console.log(report.text);
  const file = mode.quick ? join(SCRATCH, 'results.quick.md') : join(ROOT, 'bench', 'results.md');
  writeFileSync(file, report.markdown);
  // bench/results.md is committed: it goes in formatted as `npm run lint` (Biome) wants it.
  if (!mode.quick)
    execFileSync('npx', ['--no-install', 'biome', 'format', '--write', file], { stdio: 'ignore' });
  step(`wrote ${file.replace(ROOT, '')}`);
};

main()
  .catch(async (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  })
  .finally(stopAll);
