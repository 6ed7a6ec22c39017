import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { BundlingOptions, NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { build } from 'esbuild';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { toEsbuildOptions } from '../../bench/bundle/esbuild-options';
import type { StageName } from '../../lib/config';
import {
  LAMBDA_BUNDLING,
  LAMBDA_CREDENTIALS,
  SDK_CREDENTIAL_CHAIN,
} from '../../lib/constructs/lambda-bundling';
import { PaymentFunction } from '../../lib/constructs/payment-function';
import { devFunction } from './support/dev-function';
import { synthStage } from './support/synth-stage';

/** The bundling options of every NodejsFunction constructed in this file (the class is wrapped, not replaced). */
const constructed = vi.hoisted(() => [] as { id: string; bundling: BundlingOptions | undefined }[]);
vi.mock('aws-cdk-lib/aws-lambda-nodejs', async (importOriginal) => {
  const original = await importOriginal<typeof import('aws-cdk-lib/aws-lambda-nodejs')>();
  class RecordingNodejsFunction extends original.NodejsFunction {
    constructor(
      scope: ConstructorParameters<typeof original.NodejsFunction>[0],
      id: string,
      props?: NodejsFunctionProps,
    ) {
      super(scope, id, props);
      constructed.push({ id: this.node.path, bundling: props?.bundling });
    }
  }
  return { ...original, NodejsFunction: RecordingNodejsFunction };
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STAGES: readonly StageName[] = ['dev', 'staging', 'prod'];
const ALIAS = `${SDK_CREDENTIAL_CHAIN}=${LAMBDA_CREDENTIALS}`;

/**
 * Strings of the default chain's other links (SSO, INI files, web identity, the ECS container endpoint), each
 * present in create-payment's bundle without the alias; and fromEnv's own error, which must stay.
 */
const DROPPED = ['fromSSO', 'credential-provider-ini', 'fromTokenFile', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'];
const KEPT = 'Unable to find environment variable credentials.';

const scratch = mkdtempSync(join(tmpdir(), 'lambda-bundling-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Lambda bundling: the SDK credential chain reduced to its environment link', () => {
  it('LAMBDA_BUNDLING aliases @aws-sdk/credential-provider-node to our module, by a path from the project root', () => {
    expect(LAMBDA_BUNDLING.esbuildArgs).toEqual({ '--alias': [ALIAS] });
    // esbuild resolves the replacement from its working directory (the project root): `./` and a real file.
    expect(LAMBDA_CREDENTIALS).toMatch(/^\.\//);
    expect(existsSync(join(ROOT, LAMBDA_CREDENTIALS))).toBe(true);
    expect(toEsbuildOptions(LAMBDA_BUNDLING, { root: ROOT, entry: 'x.ts', outdir: scratch }).alias).toEqual({
      [SDK_CREDENTIAL_CHAIN]: LAMBDA_CREDENTIALS,
    });
  });

  it('the bench translation refuses esbuildArgs it does not know', () => {
    const input = { root: ROOT, entry: 'x.ts', outdir: scratch };
    expect(() =>
      toEsbuildOptions({ ...LAMBDA_BUNDLING, esbuildArgs: { '--log-limit': '0' } }, input),
    ).toThrow(/does not translate esbuildArgs --log-limit/);
    expect(() =>
      toEsbuildOptions({ ...LAMBDA_BUNDLING, esbuildArgs: { '--alias': 'no-equals-sign' } }, input),
    ).toThrow(/is not name=path/);
  });

  it.each(STAGES)(
    'every function of %s is a NodejsFunction bundled with LAMBDA_BUNDLING (alias included)',
    (stage) => {
      const before = constructed.length;
      const { app } = synthStage(stage);
      const mine = constructed.slice(before);
      // The NodejsFunctions are exactly the PaymentFunctions' (restore-drill included, which allFunctions omits).
      const paymentFunctions = app.node.findAll().filter((node) => node instanceof PaymentFunction);
      expect(paymentFunctions.length).toBeGreaterThanOrEqual(6);
      expect(mine.map((entry) => entry.id).sort()).toEqual(
        paymentFunctions.map((node) => (node as PaymentFunction).fn.node.path).sort(),
      );
      for (const entry of mine) {
        expect(entry.bundling, entry.id).toBe(LAMBDA_BUNDLING);
        expect(entry.bundling?.esbuildArgs?.['--alias'], entry.id).toEqual([ALIAS]);
      }
    },
  );

  it('a PaymentFunction bundled by the CDK (real esbuild) ships the environment link, not the rest of the chain', () => {
    const app = new App({ outdir: join(scratch, 'cdk.out') });
    const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-3' } });
    const fn = devFunction(stack, 'CreatePayment', {
      name: 'create-payment',
      entry: join(ROOT, 'lambdas/create-payment/create-payment.handler.ts'),
      memoryMb: 512,
    });
    const asset = fn.fn.node.findChild('Code') as Asset;
    const code = readFileSync(join(app.outdir, asset.assetPath, 'index.mjs'), 'utf8');
    for (const marker of DROPPED) expect(code, marker).not.toContain(marker);
    expect(code).toContain(KEPT);
  });

  it('the markers are real: create-payment built through the esbuild API holds them without the alias only', async () => {
    const { esbuildArgs: _alias, ...withoutAlias } = LAMBDA_BUNDLING;
    const bundle = async (bundling: BundlingOptions, dir: string) => {
      const options = toEsbuildOptions(bundling, {
        root: ROOT,
        entry: 'lambdas/create-payment/create-payment.handler.ts',
        outdir: join(scratch, dir),
      });
      await build(options);
      return readFileSync(join(scratch, dir, 'index.mjs'), 'utf8');
    };
    const [full, reduced] = await Promise.all([
      bundle(withoutAlias, 'full'),
      bundle(LAMBDA_BUNDLING, 'reduced'),
    ]);
    for (const marker of DROPPED) {
      expect(full, marker).toContain(marker);
      expect(reduced, marker).not.toContain(marker);
    }
    expect(reduced).toContain(KEPT);
    // What the alias saves, whatever the rest of the code weighs (130 KB measured: bench/lean-build.md step 3).
    expect(full.length - reduced.length).toBeGreaterThan(100_000);
  });
});
