import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { ownersOf } from './bundle/analyze';
import { type ProbeTarget, probeOnce } from './cold-start';
import { ROOT } from './config';

/**
 * esbuild hoists the top-level code of every ESM module into the bundle's one module function, so the profiler
 * cannot tell whose top-level statements it is running.
 */
export const TOP_LEVEL = 'top-level code of all ESM modules (hoisted together)';

export interface ColdProfile {
  /** V8 parsing and compiling the bundle (and node's own internal modules). */
  readonly compileMs: number;
  readonly gcMs: number;
  /** Top-level evaluation and first call, by owner of the original source (via the bundle's source map). */
  readonly bundleMs: readonly { readonly owner: string; readonly ms: number }[];
  /** Node itself: bootstrap, the module loader, reading files. */
  readonly nodeMs: number;
  readonly totalMs: number;
}

interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
      readonly columnNumber: number;
    };
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * One more cold start under `--cpu-prof` (100 µs sampling), and where its CPU time went: compiling, collecting
 * garbage, node itself, or running the bundle's code — the latter charged, through the source map and the
 * metafile, to the dependency the code came from.
 */
export const profileColdStart = async (target: ProbeTarget, metafile: Metafile): Promise<ColdProfile> => {
  const dir = mkdtempSync(join(tmpdir(), 'temba-bench-prof-'));
  try {
    await probeOnce(target, {
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
    });
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('no CPU profile written');
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const bundle = resolve(target.bundle);
    const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as SourceMapPayload);
    const owners = ownersOf(metafile);

    const selfMs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
    let compileMs = 0;
    let gcMs = 0;
    let nodeMs = 0;
    const byOwner = new Map<string, number>();
    for (const node of profile.nodes) {
      const time = selfMs.get(node.id) ?? 0;
      if (time === 0) continue;
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      if (functionName === '(garbage collector)') gcMs += time;
      else if (/compile/i.test(functionName) && (url.startsWith('node:') || url === '')) compileMs += time;
      else if (url.endsWith('/index.mjs') && url.includes(bundle.replace(/^\//, ''))) {
        const entry = map.findEntry(lineNumber, columnNumber) as { originalSource?: string };
        const source = entry.originalSource
          ? relative(ROOT, resolve(dirname(bundle), entry.originalSource.replace(/^file:\/\//, '')))
          : '';
        const owner = owners.get(source) ?? TOP_LEVEL;
        byOwner.set(owner, (byOwner.get(owner) ?? 0) + time);
      } else nodeMs += time;
    }
    const bundleMs = [...byOwner].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms);
    const totalMs = compileMs + gcMs + nodeMs + bundleMs.reduce((total, entry) => total + entry.ms, 0);
    return { compileMs, gcMs, bundleMs, nodeMs, totalMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
