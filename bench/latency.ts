import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './config';
import type { WorkerInput, WorkerResult } from './latency-worker';

export { freePort } from '../local/free-port';

let running: ChildProcess | undefined;

/** Stops the worker if one is running (on Ctrl-C or an error in the parent). */
export const stopWorker = (): void => {
  if (running && running.exitCode === null) running.kill('SIGTERM');
  running = undefined;
};

/**
 * Forks bench/latency-worker.ts under tsx with the Lambda-like environment (Powertools at INFO, the stage's
 * service and namespace), its stdout to /dev/null, and waits for its results.
 */
export const runWorker = (input: WorkerInput, env: Readonly<Record<string, string>>): Promise<WorkerResult> =>
  new Promise((resolve, reject) => {
    const child = fork(join(ROOT, 'bench', 'latency-worker.ts'), [JSON.stringify(input)], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    running = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    let settled = false;
    child.on('message', (message: { ok: boolean; result?: WorkerResult; error?: string }) => {
      settled = true;
      if (message.ok && message.result) resolve(message.result);
      else reject(new Error(`latency worker failed: ${message.error}`));
    });
    child.on('exit', (code) => {
      if (running === child) running = undefined;
      if (!settled) reject(new Error(`latency worker exited (code ${code}) without results:\n${stderr}`));
    });
  });
