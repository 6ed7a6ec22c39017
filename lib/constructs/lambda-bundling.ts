import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

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
};
