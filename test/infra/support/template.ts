import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly UpdatePolicy?: Record<string, unknown>;
}

/** All resources of one type, by logical id. */
export const resourcesOf = (template: Template, type: string): Record<string, CfnResourceJson> =>
  Object.fromEntries(
    Object.entries(template.findResources(type) as Record<string, Partial<CfnResourceJson>>).map(
      ([id, resource]) => [id, { ...resource, Type: type, Properties: resource.Properties ?? {} }],
    ),
  );

/** The only resource of `type` whose properties satisfy `match`; fails when there are none or several. */
export const onlyResource = (
  template: Template,
  type: string,
  match: (properties: Record<string, unknown>) => boolean = () => true,
): CfnResourceJson & { readonly logicalId: string } => {
  const found = Object.entries(resourcesOf(template, type)).filter(([, resource]) =>
    match(resource.Properties),
  );
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0] as [string, CfnResourceJson];
  return { logicalId, ...resource };
};

/** The logical id of a construct's CloudFormation resource (its default child when it is an L2). */
export const logicalIdOf = (construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
};

/** A token as it appears in `stack`'s template (Ref, GetAtt, Fn::GetStackOutput, Fn::Join...). */
export const inTemplate = (stack: Stack, value: unknown): unknown => stack.resolve(value);

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The statements of every IAM policy attached to `roleLogicalId`, in template order. */
export const statementsOfRole = (template: Template, roleLogicalId: string): Statement[] =>
  Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) =>
      ((policy.Properties.Roles as unknown[] | undefined) ?? []).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

/** Every string anywhere in a JSON value. */
export const allStrings = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
};
