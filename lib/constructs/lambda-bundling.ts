import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The package whose `defaultProvider` every SDK client falls back on for credentials: the whole default chain. */
export const SDK_CREDENTIAL_CHAIN = '@aws-sdk/credential-provider-node';
/** Its stand-in in the bundles (the environment link only), relative to the project root, where esbuild runs. */
export const LAMBDA_CREDENTIALS = './lambdas/shared/platform/lambda-credentials.ts';

/**
 * How every function's code is bundled (esbuild through NodejsFunction): ESM, minified, linked source maps
 * without sources, AWS SDK bundled. One definition, so the CDK construct and `npm run bench` (which measures
 * the bundles' size and cold start) build exactly the same thing.
 */
export const LAMBDA_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // The SDK is bundled: the exact version the tests ran against, tree-shaken, no runtime drift.
  bundleAwsSDK: true,
  externalModules: [],
  // Bundled CommonJS dependencies (qs and its helpers) still call require() for Node built-ins.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  // On Lambda the SDK's default credential chain always stops at its first link (the execution role's keys are in
  // the environment), so the package holding the whole chain is swapped for that link alone at bundle time: ~130 KB
  // less per bundle (lambdas/shared/platform/lambda-credentials.ts says why and what a missing key does).
  // NodejsFunction renders this as `--alias:<package>=<path>` and spawns the local esbuild (a dev dependency) with
  // the project root (the directory of package-lock.json) as working directory. esbuild resolves an alias's
  // replacement from its working directory, not from the importing file: hence a path relative to the root, with
  // `./` (without it esbuild looks for a package named `lambdas`). Docker bundling (never used here: it is only the
  // fallback when no local esbuild is found) runs from `/`, where the path does not resolve: esbuild then fails
  // the synth with "Could not resolve", it never ships the full chain silently. bench/bundle/esbuild-options.ts
  // translates this for the esbuild API.
  esbuildArgs: { '--alias': [`${SDK_CREDENTIAL_CHAIN}=${LAMBDA_CREDENTIALS}`] },
};
