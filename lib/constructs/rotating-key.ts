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
 */
export const rotatingKey = (scope: Construct, id: string, props: RotatingKeyProps): Key =>
  new Key(scope, id, {
    alias: props.alias,
    description: props.description,
    enableKeyRotation: true,
    pendingWindow: Duration.days(30),
    removalPolicy: props.removalPolicy,
  });
