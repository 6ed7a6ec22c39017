/**
 * A stage deploys in this order, and preflight reads these names to check it was followed (docs/runbook.md,
 * "First deploy"):
 *
 * 1. the data stack (table, keys, backups, secret placeholders);
 * 2. the secrets filled by an operator (PayDunya keys), never through CloudFormation;
 * 3. the application stack, which reads the data stack's outputs at deploy time (Fn::GetStackOutput, the
 *    `@aws-cdk/core:defaultCrossStackReferences: weak` setting in cdk.json), so either stack can be replaced
 *    without an export lock;
 * 4. `npm run preflight`, which fails while the application stack holds a value the data stack no longer outputs.
 */

/** The application stack's output listing the data stack outputs it resolved at its last deploy. */
export const DATA_REFERENCES_OUTPUT = 'DataStackReferences';

/** `TembaPayments-prod-Data`, `TembaPayments-prod-App`: a stage's stacks never collide with another's. */
export const stackNames = (stage: string) => ({
  data: `TembaPayments-${stage}-Data`,
  application: `TembaPayments-${stage}-App`,
});
