import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag IAM5 finding, `<resource ARN><suffix>` (e.g. `<Table.Arn>/index/*`), on
 * `holder` with its reason. One by one (resource + suffix), so a new wildcard still fails synth.
 */
export function acknowledgeWildcard(
  holder: IConstruct,
  resource: IConstruct,
  suffix: string,
  reason: string,
) {
  const cfn = (resource.node.defaultChild ?? resource) as CfnResource;
  const stack = Stack.of(cfn);
  const logicalId: unknown = stack.resolve(stack.getLogicalId(cfn));
  Validations.of(holder).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${String(logicalId)}.Arn>${suffix}]`,
    reason,
  });
}

/** Where a function's IAM findings are reported: its execution role. */
export const roleOf = (fn: lambda.Function): IConstruct => fn.role ?? fn;
