import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lib/constructs/lambda-bundling';
import { attribute, type Contribution, credentialChainBytes, zodLocaleBytes } from './bundle/analyze';
import { buildVariant, VARIANTS } from './bundle/what-if';
import { type BenchFunction, ROOT, SCRATCH } from './config';

export interface VariantResult {
  readonly id: string;
  readonly label: string;
  readonly mjs: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly filesRewritten: number;
  readonly contributions: readonly Contribution[];
  /** Byte for byte the bundle the CDK built (the rewrite changed nothing: the code already has the change). */
  readonly sameAsBuilt: boolean;
}

export interface BundleResult {
  readonly fn: BenchFunction;
  /** The CDK asset directory (index.mjs, index.mjs.map, index.meta.json). */
  readonly dir: string;
  readonly mjs: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number;
  readonly buildMs: number;
  readonly contributions: readonly Contribution[];
  readonly zodLocaleBytes: number;
  readonly credentialChainBytes: number;
  /** The esbuild API with the translated options produced the same bytes as the CDK. */
  readonly reproduced: boolean;
  readonly variants: readonly VariantResult[];
}

const gzipSize = (file: string): number => gzipSync(readFileSync(file), { level: 9 }).length;
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Runs bench/bundle/cdk-build.ts in its own process (aws-cdk-lib is heavy; esbuild's output is noisy). */
const cdkBuild = (fns: readonly BenchFunction[], outdir: string, manifest: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'bench', 'bundle', 'cdk-build.ts'),
        outdir,
        manifest,
        ...fns.map((fn) => `${fn.name}=${fn.entry}`),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-6000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`CDK bundling failed (exit ${code}):\n${output}`)),
    );
  });

/**
 * Each function's bundle as the CDK builds it, its composition (esbuild metafile), and the what-if variants built
 * with the same options through the esbuild API (the first of which must reproduce the CDK's bytes exactly).
 */
export const buildBundles = async (fns: readonly BenchFunction[]): Promise<BundleResult[]> => {
  const outdir = join(SCRATCH, 'cdk-out');
  const whatIfDir = join(SCRATCH, 'what-if');
  rmSync(outdir, { recursive: true, force: true });
  rmSync(whatIfDir, { recursive: true, force: true });
  const manifestFile = join(SCRATCH, 'cdk-manifest.json');
  // The CDK build (its own process) and the what-if builds (esbuild's service) run side by side.
  const [, variantBuilds] = await Promise.all([
    cdkBuild(fns, outdir, manifestFile),
    Promise.all(
      fns.map((fn) =>
        Promise.all(
          VARIANTS.map((variant) =>
            buildVariant(LAMBDA_BUNDLING, variant, {
              root: ROOT,
              entry: fn.entry,
              outdir: join(whatIfDir, variant.id, fn.name),
            }),
          ),
        ),
      ),
    ),
  ]);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<
    string,
    { dir: string; ms: number }
  >;

  const results: BundleResult[] = [];
  fns.forEach((fn, index) => {
    const built = manifest[fn.name];
    if (!built) throw new Error(`CDK bundling produced nothing for ${fn.name}`);
    const mjs = join(built.dir, 'index.mjs');
    const metafile = JSON.parse(readFileSync(join(built.dir, 'index.meta.json'), 'utf8')) as Metafile;
    const builds = variantBuilds[index] ?? [];
    const builtSha = sha256(mjs);
    const reproduced = builds.find((build) => build.variant.id === 'esbuild-api')?.sha256 === builtSha;
    const variants: VariantResult[] = builds
      .filter((build) => build.variant.id !== 'esbuild-api')
      .map((build) => {
        const file = join(build.outdir, 'index.mjs');
        return {
          id: build.variant.id,
          label: build.variant.label,
          mjs: file,
          bytes: build.bytes,
          gzipBytes: gzipSize(file),
          filesRewritten: build.filesRewritten,
          contributions: attribute(build.metafile),
          sameAsBuilt: build.sha256 === builtSha,
        };
      });
    results.push({
      fn,
      dir: built.dir,
      mjs,
      bytes: readFileSync(mjs).length,
      gzipBytes: gzipSize(mjs),
      mapBytes: readFileSync(join(built.dir, 'index.mjs.map')).length,
      buildMs: built.ms,
      contributions: attribute(metafile),
      zodLocaleBytes: zodLocaleBytes(metafile),
      credentialChainBytes: credentialChainBytes(metafile),
      reproduced,
      variants,
    });
  });
  return results;
};

/** Files under lambdas/ that import zod as `import { z } from 'zod'` (the what-if rewrites them). */
export const namedZodImports = (): string[] =>
  readdirSync(join(ROOT, 'lambdas'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .filter((file) =>
      /import\s*\{\s*z\s*\}\s*from\s*['"]zod['"]/.test(readFileSync(join(ROOT, 'lambdas', file), 'utf8')),
    )
    .map((file) => `lambdas/${file}`)
    .sort();
