import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { LambdaApplication } from 'aws-cdk-lib/aws-codedeploy';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { PaymentFunction } from '../../../lib/constructs/payment-function';

/**
 * One PaymentFunction with dev's settings in `stack`, on its own deployment application and warning topic: what a
 * construct test needs to check one function's wiring apart from a whole stage.
 */
export const devFunction = (
  stack: Stack,
  id: string,
  options: { readonly name: string; readonly entry: string; readonly memoryMb: number },
): PaymentFunction =>
  new PaymentFunction(stack, id, {
    stage: 'dev',
    name: options.name,
    entry: options.entry,
    memoryMb: options.memoryMb,
    timeoutSeconds: 10,
    logRetention: RetentionDays.TWO_WEEKS,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    rollout: 'all-at-once',
    deploymentApplication: new LambdaApplication(stack, 'Deployments'),
    alarms: {
      errors: 1,
      throttles: 1,
      newVersionErrorRate: { abovePercent: 5, periodMinutes: 5, minEvents: 10 },
      notify: new Topic(stack, 'Warning'),
    },
  });
