/**
 * Child process of `npm run bench`: builds each function's bundle through the CDK itself (a NodejsFunction with
 * the shared LAMBDA_BUNDLING options, local esbuild, no Docker), exactly as `cdk synth` does, plus esbuild's
 * metafile (which does not change the output). Writes `{ name: assetDirectory }` to the manifest file.
 *
 * Usage (cwd = repository root, as for `cdk synth`, so the lock file and project root are found the same way):
 * tsx bench/bundle/cdk-build.ts <outdir> <manifest.json> <name>=<entry> ...
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { LAMBDA_BUNDLING } from '../../lib/constructs/lambda-bundling';
import { ROOT } from '../config';

const [outdir, manifestFile, ...specs] = process.argv.slice(2);
if (!outdir || !manifestFile || specs.length === 0) {
  throw new Error('usage: cdk-build.ts <outdir> <manifest.json> <name>=<entry> ...');
}

// The project's CDK context (feature flags), as `cdk synth` would see it.
const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};
const app = new App({ outdir, context: cdkJson.context ?? {} });
const stack = new Stack(app, 'Bench', { env: { account: '123456789012', region: 'eu-west-3' } });

const manifest: Record<string, { dir: string; ms: number }> = {};
for (const spec of specs) {
  const [name, entry] = spec.split('=');
  if (!name || !entry) throw new Error(`bad function spec ${spec}`);
  const started = performance.now();
  // The same runtime and architecture as PaymentFunction: the bundling target follows from them.
  const fn = new NodejsFunction(stack, name, {
    entry: join(ROOT, entry),
    handler: 'handler',
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    bundling: { ...LAMBDA_BUNDLING, metafile: true },
  });
  const asset = fn.node.findChild('Code') as Asset;
  manifest[name] = { dir: join(outdir, asset.assetPath), ms: Math.round(performance.now() - started) };
}
writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
