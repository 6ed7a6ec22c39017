import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ROOT } from './config';
import { type Summary, summarize } from './stats';

const PROBE = join(ROOT, 'bench', 'cold-start-probe.mjs');

export interface ProbeResult {
  readonly bootMs: number;
  readonly importMs: number;
  readonly firstInvokeMs: number;
  readonly totalMs: number;
  /** User + system CPU time of the process (contention-resistant). */
  readonly cpuMs: number;
  readonly status: string | number;
  readonly connections?: readonly string[];
  /** Spawn to exit, seen from the parent (includes process teardown). */
  readonly wallMs: number;
}

export interface ProbeTarget {
  readonly bundle: string;
  readonly env: Readonly<Record<string, string>>;
  readonly event: unknown;
}

const readAll = async (stream: Readable | null): Promise<string> => {
  if (!stream) return '';
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
};

/**
 * One fresh `node` process: only PATH and the function's own variables in its environment (as on Lambda, so no
 * AWS credentials and nothing of this shell leaks in), working directory = the bundle's (Lambda's /var/task).
 */
export const probeOnce = async (
  target: ProbeTarget | 'empty',
  options: {
    readonly guard?: boolean;
    readonly env?: Readonly<Record<string, string>>;
    /** Flags for node itself (before the probe script), e.g. --cpu-prof. */
    readonly nodeArgs?: readonly string[];
  } = {},
): Promise<ProbeResult> => {
  const args =
    target === 'empty'
      ? [PROBE, '--empty']
      : [
          PROBE,
          resolve(target.bundle),
          Buffer.from(JSON.stringify(target.event)).toString('base64'),
          ...(options.guard ? ['--guard'] : []),
        ];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(target === 'empty' ? {} : target.env),
    ...options.env,
  };
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    cwd: target === 'empty' ? ROOT : dirname(resolve(target.bundle)),
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const [report, stderr, code] = await Promise.all([
    readAll(child.stdio[3] as Readable),
    readAll(child.stderr),
    new Promise<number | null>((resolve) => child.once('close', resolve)),
  ]);
  const wallMs = performance.now() - started;
  if (code !== 0 || !report) {
    throw new Error(
      `cold-start probe failed (exit ${code}) for ${JSON.stringify(args[1])}:\n${stderr.slice(-2000)}`,
    );
  }
  return { ...(JSON.parse(report) as Omit<ProbeResult, 'wallMs'>), wallMs };
};

export interface ColdStartStats {
  readonly total: Summary;
  readonly importMs: Summary;
  readonly firstInvokeMs: Summary;
  readonly bootMs: Summary;
  readonly wallMs: Summary;
  readonly cpuMs: Summary;
  readonly status: string | number;
}

export const summarizeProbes = (results: readonly ProbeResult[]): ColdStartStats => ({
  total: summarize(results.map((r) => r.totalMs)),
  importMs: summarize(results.map((r) => r.importMs)),
  firstInvokeMs: summarize(results.map((r) => r.firstInvokeMs)),
  bootMs: summarize(results.map((r) => r.bootMs)),
  wallMs: summarize(results.map((r) => r.wallMs)),
  cpuMs: summarize(results.map((r) => r.cpuMs)),
  status: results[0]?.status ?? 'none',
});

/**
 * `runs` cold starts of each target, round-robin (target A, B, C, A, B, C…) so a slow moment of the machine is
 * spread over all of them rather than landing on one.
 */
export const measureColdStarts = async <K extends string>(
  targets: ReadonlyMap<K, ProbeTarget | 'empty'>,
  runs: number,
  env: Readonly<Record<string, string>> = {},
): Promise<Map<K, ColdStartStats>> => {
  const results = new Map<K, ProbeResult[]>([...targets.keys()].map((key) => [key, []]));
  for (let run = 0; run < runs; run++) {
    for (const [key, target] of targets) results.get(key)?.push(await probeOnce(target, { env }));
  }
  return new Map([...results].map(([key, list]) => [key, summarizeProbes(list)]));
};
