// One cold start, in a fresh `node` process started by bench/cold-start.ts (plain JavaScript, so no loader
// stands between node and the bundle):
//   node cold-start-probe.mjs <bundle.mjs> <event as base64 JSON> [--guard]
//   node cold-start-probe.mjs --empty
// Imports the bundle as Lambda's runtime would, then invokes `handler` once with an event it answers without
// I/O, so that the first invocation only builds the context. With --guard every TCP connection attempt is
// recorded and refused: building the context must not call AWS. The timings go to file descriptor 3 as JSON.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const report = (result) => writeSync(3, JSON.stringify(result));
const [bundle, eventBase64, flag] = process.argv.slice(2);

// performance.now() counts from the process's time origin: this is what node itself took to start.
const started = performance.now();
if (bundle === '--empty') {
  const cpu = process.cpuUsage();
  report({
    cpuMs: (cpu.user + cpu.system) / 1000,
    bootMs: started,
    importMs: 0,
    firstInvokeMs: 0,
    totalMs: started,
    status: 'empty',
  });
  process.exit(0);
}

const connections = [];
if (flag === '--guard') {
  const net = createRequire(import.meta.url)('node:net');
  net.Socket.prototype.connect = function blocked(...args) {
    const [first] = args;
    const target = Array.isArray(first) ? first[0] : first;
    connections.push(
      typeof target === 'object' && target
        ? `${target.host ?? ''}:${target.port ?? target.path ?? ''}`
        : String(target),
    );
    throw new Error('bench: network access during cold start');
  };
}

const lambdaContext = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench',
  functionVersion: '1',
  invokedFunctionArn: `arn:aws:lambda:eu-west-3:123456789012:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}:live`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
  awsRequestId: 'cold-start',
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 20_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const beforeImport = performance.now();
const module = await import(pathToFileURL(bundle).href);
const imported = performance.now();
let status;
try {
  const result = await module.handler(
    JSON.parse(Buffer.from(eventBase64, 'base64').toString('utf8')),
    lambdaContext,
  );
  status = result && typeof result === 'object' && 'statusCode' in result ? result.statusCode : 'ok';
} catch (error) {
  // A scheduled handler refuses the unknown task after building its context: that is the expected answer.
  status = `threw ${error instanceof Error ? error.name : typeof error}`;
}
const done = performance.now();
// CPU time of this process since it started: far less sensitive than wall time to other load on the machine.
const cpu = process.cpuUsage();
report({
  cpuMs: (cpu.user + cpu.system) / 1000,
  bootMs: beforeImport,
  importMs: imported - beforeImport,
  firstInvokeMs: done - imported,
  totalMs: done,
  status,
  connections,
});
// Lambda would freeze the process here; exit so that nothing left open (pools, timers) keeps it alive.
process.exit(0);
