import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export interface RotatingKeyProps {
  /** Alias without the `alias/` prefix, e.g. `temba-payments/prod/table`. */
  readonly alias: string;
  readonly description: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A symmetric customer-managed KMS key with yearly automatic rotation. Deleting the stack only schedules the
 * key's deletion (30-day window), and only where the stage's removal policy allows it at all.
 *
 * Key policy: CDK's default admin statement (`kms:*` to the account root) and nothing else until a caller adds a
 * service statement. The root statement is what lets the account's IAM policies grant use of the key at all (AWS's
 * default key policy; without it a key can become unmanageable), so it is kept; every grant of the key to a role is
 * an IAM statement, with `kms:ViaService` where a service uses the key on the role's behalf. No statement this
 * project adds allows `kms:CreateGrant`; should one ever need it (an AWS service creating grants for the account),
 * it must carry `Bool: { 'kms:GrantIsForAWSResource': true }`, and the infra tests (compliance suite)
 * refuse any other CreateGrant in a key policy. Keys are never handed to CDK constructs that write their own key
 * policy statements (a Secret's `encryptionKey` adds an unconditioned CreateGrant, for instance).
 */
export const rotatingKey = (scope: Construct, id: string, props: RotatingKeyProps): Key =>
  new Key(scope, id, {
    alias: props.alias,
    description: props.description,
    enableKeyRotation: true,
    pendingWindow: Duration.days(30),
    removalPolicy: props.removalPolicy,
  });
