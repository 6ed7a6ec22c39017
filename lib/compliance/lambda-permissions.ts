import { Stack, Token } from 'aws-cdk-lib';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Every Lambda permission of `scope` names its source: the ARN of the one API, rule or topic that may invoke
 * (`SourceArn`, which CDK writes for API Gateway and EventBridge) and, for an AWS service, the account it must act
 * for (`SourceAccount`, which CDK leaves out), so no other account's resource can ever invoke a function through the
 * service (confused deputy). A permission without `SourceArn` fails the synthesis.
 *
 * Called by `buildPaymentsStage` once the stacks are built; returns the permissions it checked.
 */
export const namePermissionSources = (scope: IConstruct): CfnPermission[] => {
  const permissions = scope.node
    .findAll()
    .filter((construct): construct is CfnPermission => construct instanceof CfnPermission);
  for (const permission of permissions) {
    if (permission.sourceArn === undefined) {
      throw new Error(`${permission.node.path}: a Lambda permission must name its source (SourceArn)`);
    }
    const principal = permission.principal;
    const isService = !Token.isUnresolved(principal) && principal.endsWith('.amazonaws.com');
    if (isService && permission.sourceAccount === undefined) {
      permission.sourceAccount = Stack.of(permission).account;
    }
  }
  return permissions;
};
