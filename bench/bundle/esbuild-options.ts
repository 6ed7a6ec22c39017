import { join } from 'node:path';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The BundlingOptions fields the translation below understands; any other one must be added here first. */
const TRANSLATED = new Set<keyof BundlingOptions>([
  'format',
  'target',
  'mainFields',
  'minify',
  'sourceMap',
  'sourcesContent',
  'bundleAwsSDK',
  'externalModules',
  'banner',
  'footer',
  'define',
  'keepNames',
  'metafile',
]);

/**
 * The esbuild API equivalent of the command line NodejsFunction runs for these options (aws-lambda-nodejs
 * bundling.js, `buildEsbuildArgs`): `--bundle --platform=node --target --format --outfile --minify --sourcemap
 * --sources-content=false --external:… --banner:js --main-fields`, working directory = project root. Used for
 * the what-if variants; run.ts checks that it reproduces the CDK's own output byte for byte.
 */
export const toEsbuildOptions = (
  bundling: BundlingOptions,
  input: { readonly root: string; readonly entry: string; readonly outdir: string },
): BuildOptions => {
  const unknown = Object.keys(bundling).filter((key) => !TRANSLATED.has(key as keyof BundlingOptions));
  if (unknown.length > 0) {
    throw new Error(
      `bench/bundle/esbuild-options.ts does not translate bundling option(s) ${unknown.join(', ')} yet`,
    );
  }
  if (!bundling.externalModules && !bundling.bundleAwsSDK) {
    throw new Error('bench: the default externals (SDK not bundled) are not translated; set externalModules');
  }
  return {
    absWorkingDir: input.root,
    entryPoints: [input.entry],
    outfile: join(input.outdir, bundling.format === 'esm' ? 'index.mjs' : 'index.js'),
    bundle: true,
    platform: 'node',
    target: bundling.target,
    ...(bundling.format ? { format: bundling.format as 'esm' | 'cjs' } : {}),
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    external: bundling.externalModules ?? [],
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.define ? { define: bundling.define } : {}),
    keepNames: bundling.keepNames ?? false,
    ...(bundling.mainFields ? { mainFields: bundling.mainFields } : {}),
    metafile: true,
    logLevel: 'silent',
  };
};
