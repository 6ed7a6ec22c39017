import { Duration, Stack, Token } from 'aws-cdk-lib';
import {
  Architecture,
  type Function as LambdaFunction,
  LayerVersion,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
} from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/shared/contract/env';

/**
 * The two AWS-managed Lambda extensions the functions read configuration through, instead of bundling the
 * Secrets Manager and AppConfig SDK clients. Each runs beside the function in its execution environment, caches
 * outside the function's code, and answers on loopback HTTP (see lambdas/shared/platform/extension-*.ts).
 * One definition, used by PaymentFunction's `readsSecret` and `readsFlags`.
 */

/** Secrets change only when an operator rotates them: five minutes, the extension's maximum TTL. */
const SECRETS_EXTENSION_TTL = Duration.minutes(5);
/** The extension's own call to Secrets Manager on a cache miss; under the function's 2 s loopback budget. */
const SECRETS_EXTENSION_TIMEOUT = Duration.millis(1_500);

/**
 * AWS Parameters and Secrets Lambda Extension, through aws-cdk-lib (which knows its layer ARN per region and
 * architecture). Port: the extension's default, 2773, written into PARAMETERS_SECRETS_EXTENSION_HTTP_PORT.
 */
export const PARAMS_AND_SECRETS_EXTENSION = ParamsAndSecretsLayerVersion.fromVersion(
  ParamsAndSecretsVersions.V1_0_103,
  {
    httpPort: 2773,
    secretsManagerTtl: SECRETS_EXTENSION_TTL,
    secretsManagerTimeout: SECRETS_EXTENSION_TIMEOUT,
    // Two secrets per function; no Parameter Store.
    cacheSize: 10,
    logLevel: ParamsAndSecretsLogLevel.WARN,
  },
);

/**
 * AWS AppConfig Agent Lambda extension, arm64 (the functions' architecture), version 2.0.17054.0, per region.
 * Source: AWS AppConfig User Guide, "Understanding available versions of the AWS AppConfig Agent Lambda extension",
 * ARM64 platform table (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-lambda-extensions-versions.html).
 * Every stage runs in Europe (Paris), lib/config/stages.ts; a stage in another region needs its row added here.
 */
export const APPCONFIG_EXTENSION = {
  version: '2.0.17054.0',
  arm64LayerArns: {
    'eu-west-3': 'arn:aws:lambda:eu-west-3:493207061005:layer:AWS-AppConfig-Extension-Arm64:192',
  } as Readonly<Record<string, string>>,
  /** The extension's default port, set explicitly so the function reads the same number the extension uses. */
  httpPort: 2772,
  /**
   * How often the extension asks AppConfig for a newer flags document (default 45 s). Flags are the rollback
   * switch: with the function's own 5 s on top, "pause payments" reaches every warm container within 35 s.
   */
  pollIntervalSeconds: 30,
} as const;

/**
 * The variables each extension adds to a function, as the template shows them: for tests that list a function's
 * exact settings (test/infra/lambda-extensions.test.ts checks these against what aws-cdk-lib writes).
 */
export const SECRETS_EXTENSION_VARIABLES: Readonly<Record<string, string>> = {
  PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'true',
  PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE: '10',
  [ENV.secretsExtensionPort]: '2773',
  PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL: 'warn',
  PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS: '3',
  SECRETS_MANAGER_TIMEOUT_MILLIS: '1500',
  SECRETS_MANAGER_TTL: '300',
  SSM_PARAMETER_STORE_TIMEOUT_MILLIS: '0',
  SSM_PARAMETER_STORE_TTL: '300',
};
export const APPCONFIG_EXTENSION_VARIABLES: Readonly<Record<string, string>> = {
  [ENV.appConfigExtensionPort]: String(APPCONFIG_EXTENSION.httpPort),
  [ENV.appConfigExtensionPollSeconds]: String(APPCONFIG_EXTENSION.pollIntervalSeconds),
};

/** The AppConfig extension's layer ARN for a stack's region and the function's architecture; fails the synth otherwise. */
export const appConfigExtensionArn = (scope: Construct, architecture: Architecture): string => {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) {
    throw new Error('The AppConfig extension layer needs a stack with an explicit region (env.region)');
  }
  if (architecture !== Architecture.ARM_64) {
    throw new Error(
      `Only the arm64 AppConfig extension layer is listed; the function is ${architecture.name}`,
    );
  }
  const arn = APPCONFIG_EXTENSION.arm64LayerArns[region];
  if (!arn) {
    throw new Error(
      `No AppConfig extension layer listed for ${region}: add its arm64 ARN to APPCONFIG_EXTENSION (lambda-extensions.ts)`,
    );
  }
  return arn;
};

/**
 * Adds the Parameters and Secrets extension to a function that was created without it: its layer and the
 * variables that configure it, exactly what the `paramsAndSecrets` prop of a Function does at construction.
 */
export const addParamsAndSecretsExtension = (scope: Construct, fn: LambdaFunction): void => {
  const bound = PARAMS_AND_SECRETS_EXTENSION._bind(scope, fn);
  fn.addLayers(LayerVersion.fromLayerVersionArn(scope, 'ParamsAndSecretsExtension', bound.arn));
  for (const [name, value] of Object.entries(bound.environmentVars)) fn.addEnvironment(name, String(value));
};

/** Adds the AppConfig extension to a function: its layer, port and poll interval. */
export const addAppConfigExtension = (scope: Construct, fn: LambdaFunction): void => {
  // One agent serves every profile a function reads (flags, fraud rules).
  if (scope.node.tryFindChild('AppConfigExtension')) return;
  fn.addLayers(
    LayerVersion.fromLayerVersionArn(
      scope,
      'AppConfigExtension',
      appConfigExtensionArn(scope, fn.architecture),
    ),
  );
  for (const [name, value] of Object.entries(APPCONFIG_EXTENSION_VARIABLES)) fn.addEnvironment(name, value);
};
