import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/contract/env';
import type { StageName } from '../../lib/config';
import {
  APPCONFIG_EXTENSION,
  APPCONFIG_EXTENSION_VARIABLES,
  SECRETS_EXTENSION_VARIABLES,
} from '../../lib/constructs/lambda-extensions';
import type { PaymentFunction } from '../../lib/constructs/payment-function';
import { devFunction } from './support/dev-function';
import { type SynthesizedStage, synthStage } from './support/synth-stage';
import { type CfnResourceJson, logicalIdOf, resourcesOf, statementsOfRole } from './support/template';

const STAGES: readonly StageName[] = ['dev', 'staging', 'prod'];

/** The AWS Parameters and Secrets Lambda Extension, arm64, as aws-cdk-lib's region facts name it. */
const PARAMS_AND_SECRETS_ARM64 =
  /^arn:aws:lambda:eu-west-3:\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/;

describe.each(STAGES)('Lambda extensions, %s', (stage) => {
  let synthesized: SynthesizedStage;
  let functions: Map<string, { fn: PaymentFunction; resource: CfnResourceJson }>;

  beforeAll(() => {
    synthesized = synthStage(stage);
    const app = synthesized.stacks.application;
    const all = resourcesOf(synthesized.application, 'AWS::Lambda::Function');
    functions = new Map(
      app.allFunctions.map((fn) => {
        const resource = all[logicalIdOf(fn.fn)];
        if (!resource) throw new Error(`no template resource for ${fn.functionName}`);
        return [fn.functionName.replace(`temba-payments-${stage}-`, ''), { fn, resource }];
      }),
    );
  });

  const layersOf = (name: string): string[] =>
    ((functions.get(name)?.resource.Properties.Layers as unknown[] | undefined) ?? []).map((layer) =>
      typeof layer === 'string' ? layer : JSON.stringify(layer),
    );
  const envOf = (name: string): Record<string, unknown> =>
    ((functions.get(name)?.resource.Properties.Environment as { Variables?: Record<string, unknown> })
      ?.Variables ?? {}) as Record<string, unknown>;

  it('every function that reads a secret carries the Parameters and Secrets extension (arm64), configured', () => {
    const readers = [...functions.keys()].filter((name) => ENV.paydunyaSecretArn in envOf(name));
    expect(readers.sort()).toEqual(['admin', 'create-payment', 'reconcile', 'webhook']);
    for (const name of readers) {
      expect(layersOf(name).filter((arn) => PARAMS_AND_SECRETS_ARM64.test(arn))).toHaveLength(1);
      expect(envOf(name)).toMatchObject(SECRETS_EXTENSION_VARIABLES);
    }
  });

  it('every function that reads flags carries the AppConfig extension for eu-west-3 arm64, and only those', () => {
    const expected = APPCONFIG_EXTENSION.arm64LayerArns['eu-west-3'];
    const readers = [...functions.keys()].filter((name) => ENV.appConfigProfile in envOf(name));
    expect(readers.sort()).toEqual(['admin', 'create-payment', 'reconcile']);
    for (const [name] of functions) {
      const hasLayer = layersOf(name).includes(expected as string);
      expect({ name, hasLayer }).toEqual({ name, hasLayer: readers.includes(name) });
    }
    for (const name of readers) {
      expect(envOf(name)).toMatchObject(APPCONFIG_EXTENSION_VARIABLES);
    }
  });

  it('functions that read neither (payment-status, event-publisher) carry no extension layer', () => {
    expect(layersOf('payment-status')).toEqual([]);
    expect(layersOf('event-publisher')).toEqual([]);
  });

  it('the extensions get no more than the role allowed before: GetSecretValue on the two secrets, a session on each profile it reads', () => {
    for (const [name, { fn }] of functions) {
      const statements = statementsOfRole(synthesized.application, logicalIdOf(fn.role));
      const secretReads = statements.filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
      );
      const appConfig = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('appconfig:')));
      for (const statement of secretReads) {
        expect([statement.Action].flat()).toEqual(['secretsmanager:GetSecretValue']);
        expect(JSON.stringify(statement.Resource)).not.toContain('*');
      }
      for (const statement of appConfig) {
        expect([statement.Action].flat().sort()).toEqual([
          'appconfig:GetLatestConfiguration',
          'appconfig:StartConfigurationSession',
        ]);
        expect([statement.Resource].flat()).toHaveLength(1);
        expect(JSON.stringify(statement.Resource)).not.toContain('*');
      }
      const readsSecrets = ENV.paydunyaSecretArn in envOf(name);
      expect(secretReads.length).toBe(readsSecrets ? 2 : 0);
      // One statement per profile: the flags, and the fraud rules for the function that screens checkouts.
      const profiles = [ENV.appConfigProfile, ENV.appConfigFraudRulesProfile].filter((v) => v in envOf(name));
      expect(appConfig.length).toBe(profiles.length);
    }
  });
});

/** One PaymentFunction in a bare stack (bundling skipped), so the wiring is checked apart from the whole stage. */
const bareFunction = (region: string) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region } });
  const fn = devFunction(stack, 'Admin', {
    name: 'admin',
    entry: fileURLToPath(new URL('../../lambdas/admin/admin.handler.ts', import.meta.url)),
    memoryMb: 256,
  });
  return { stack, fn };
};

const FLAGS = {
  applicationId: 'app1',
  environmentId: 'env1',
  profileId: 'prof1',
  configurationArn:
    'arn:aws:appconfig:eu-west-3:111111111111:application/app1/environment/env1/configuration/prof1',
};

describe('PaymentFunction extension wiring', () => {
  it('two secrets add the Parameters and Secrets layer once, and grant GetSecretValue on each secret only', () => {
    const { stack, fn } = bareFunction('eu-west-3');
    fn.readsSecret(ENV.paydunyaSecretArn, new Secret(stack, 'Keys')).readsSecret(
      ENV.signingSecretArn,
      new Secret(stack, 'Signing'),
    );
    const template = Template.fromStack(stack);
    const lambda = Object.values(resourcesOf(template, 'AWS::Lambda::Function'))[0];
    const variables =
      (lambda?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
      {};
    const extensionOnes = Object.keys(variables).filter(
      (name) =>
        name.startsWith('PARAMETERS_SECRETS_') ||
        name.startsWith('SECRETS_MANAGER_') ||
        name.startsWith('SSM_'),
    );
    expect(Object.fromEntries(extensionOnes.map((name) => [name, variables[name]]))).toEqual(
      SECRETS_EXTENSION_VARIABLES,
    );
    const layers = (lambda?.Properties.Layers as string[] | undefined) ?? [];
    expect(layers).toHaveLength(1);
    expect(layers[0]).toMatch(PARAMS_AND_SECRETS_ARM64);
    const statements = statementsOfRole(template, logicalIdOf(fn.role));
    const reads = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(reads.map((s) => s.Resource)).toEqual([
      { Ref: expect.stringMatching(/^Keys/) },
      { Ref: expect.stringMatching(/^Signing/) },
    ]);
  });

  it('reading flags adds the AppConfig arm64 layer of the documented ARN and a session on that profile only', () => {
    const { stack, fn } = bareFunction('eu-west-3');
    fn.readsFlags(FLAGS);
    const template = Template.fromStack(stack);
    const lambda = Object.values(resourcesOf(template, 'AWS::Lambda::Function'))[0];
    expect(lambda?.Properties.Layers).toEqual([
      'arn:aws:lambda:eu-west-3:493207061005:layer:AWS-AppConfig-Extension-Arm64:192',
    ]);
    const statements = statementsOfRole(template, logicalIdOf(fn.role));
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('appconfig:')))).toEqual([
      expect.objectContaining({
        Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
        Resource: FLAGS.configurationArn,
      }),
    ]);
  });

  it('a stage in a region without a listed AppConfig layer fails the synth, naming the file to update', () => {
    const { fn } = bareFunction('us-east-1');
    expect(() => fn.readsFlags(FLAGS)).toThrow(/No AppConfig extension layer listed for us-east-1/);
  });
});
