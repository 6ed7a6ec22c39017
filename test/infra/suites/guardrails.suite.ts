import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { expect, it } from 'vitest';
import { PLACEHOLDER_PREFIX } from '../../../lambdas/shared/contract/secrets';
import { nagPacks } from '../../../lib/payments-app';
import type { SynthesizedStage } from '../support/synth-stage';
import { allStrings, resourcesOf } from '../support/template';

/** Shapes of real credentials: PayDunya keys (API.md §1), AWS access keys, PEM private keys. */
const CREDENTIAL_PATTERNS = [
  /(live|test)_(private|public)_[A-Za-z0-9]{6,}/,
  /AKIA[0-9A-Z]{16}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

const acknowledgementsIn = (root: IConstruct): { path: string; id: string; reason: string }[] =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );

/** cdk-nag and secret hygiene for one stage. */
export const guardrailsSuite = (get: () => SynthesizedStage): void => {
  // The packs `cdk synth` runs (lib/payments-app.ts): AwsSolutions, PCI DSS 3.2.1, Serverless.
  it.each(nagPacks().map((pack) => [pack.readPackName, pack] as const))(
    'cdk-nag %s reports no unacknowledged error or warning on either stack',
    (_name, pack) => {
      const report = pack.validateScope(get().app);
      expect(
        report.violations.map(
          (violation) =>
            `${violation.ruleName} ${violation.severity} ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
      ).toEqual([]);
      expect(report.success).toBe(true);
    },
  );

  it('acknowledges findings only on the resource concerned, each with a specific reason', () => {
    const acknowledgements = acknowledgementsIn(get().app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path, reason } of acknowledgements) {
      expect(path.split('/').length, `${path} acknowledges at stack level or above`).toBeGreaterThan(2);
      expect(reason.length, `${path}: "${reason}" is not a reason`).toBeGreaterThanOrEqual(60);
    }
  });

  it('puts no secret value in any function environment variable', () => {
    for (const fn of Object.values(resourcesOf(get().application, 'AWS::Lambda::Function'))) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const [name, value] of Object.entries(variables)) {
        if (name.endsWith('_SECRET_ARN')) {
          // A reference to the secret (resolved to its ARN at deploy time), never its value.
          expect(typeof value, name).toBe('object');
          expect(JSON.stringify(value)).toMatch(/Fn::GetStackOutput/);
        }
        for (const text of allStrings(value)) {
          expect(text.startsWith(PLACEHOLDER_PREFIX), name).toBe(false);
          for (const pattern of CREDENTIAL_PATTERNS) expect(text, name).not.toMatch(pattern);
        }
      }
    }
  });

  it('puts no secret value in either template: only placeholders and a generated signing secret', () => {
    for (const template of [get().data, get().application]) {
      for (const text of allStrings(template.toJSON())) {
        for (const pattern of CREDENTIAL_PATTERNS) expect(text).not.toMatch(pattern);
      }
    }
    const secretStrings = Object.values(resourcesOf(get().data, 'AWS::SecretsManager::Secret'))
      .map((secret) => secret.Properties.SecretString)
      .filter((value) => value !== undefined);
    expect(secretStrings).toHaveLength(1);
    for (const value of Object.values(JSON.parse(String(secretStrings[0])) as Record<string, string>)) {
      expect(value.startsWith(PLACEHOLDER_PREFIX)).toBe(true);
    }
    expect(resourcesOf(get().application, 'AWS::SecretsManager::Secret')).toEqual({});
  });
};
