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
  'esbuildArgs',
]);

/** The `esbuildArgs` keys the translation below understands (NodejsFunction passes them to esbuild verbatim). */
const TRANSLATED_ESBUILD_ARGS = new Set(['--alias']);

/**
 * `esbuildArgs: { '--alias': 'name=path' | ['name=path', …] }`, which NodejsFunction renders as
 * `--alias:name=path` (one per item), as the esbuild API's `alias` map. The replacement path is resolved from the
 * working directory in both (`absWorkingDir` here, the project root for the CDK).
 */
const aliasesOf = (esbuildArgs: NonNullable<BundlingOptions['esbuildArgs']>): Record<string, string> => {
  const unknown = Object.keys(esbuildArgs).filter((key) => !TRANSLATED_ESBUILD_ARGS.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `bench/bundle/esbuild-options.ts does not translate esbuildArgs ${unknown.join(', ')} yet`,
    );
  }
  const value = esbuildArgs['--alias'];
  if (value === undefined) return {};
  if (typeof value === 'boolean') throw new Error('esbuildArgs --alias needs name=path, not a boolean');
  const alias: Record<string, string> = {};
  for (const item of typeof value === 'string' ? [value] : value) {
    const at = item.indexOf('=');
    const name = item.slice(0, at);
    const path = item.slice(at + 1);
    if (at <= 0 || path === '')
      throw new Error(`esbuildArgs --alias ${JSON.stringify(item)} is not name=path`);
    if (name in alias) throw new Error(`esbuildArgs --alias names ${name} twice`);
    alias[name] = path;
  }
  return alias;
};

/**
 * The esbuild API equivalent of the command line NodejsFunction runs for these options (aws-lambda-nodejs
 * bundling.js, `buildEsbuildArgs`): `--bundle --platform=node --target --format --outfile --minify --sourcemap
 * --sources-content=false --external:… --banner:js --main-fields`, then the `esbuildArgs` (`--alias:…`), working
 * directory = project root. Used for the what-if variants; run.ts checks that it reproduces the CDK's own output
 * byte for byte.
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
  const alias = bundling.esbuildArgs ? aliasesOf(bundling.esbuildArgs) : {};
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
    ...(Object.keys(alias).length > 0 ? { alias } : {}),
    metafile: true,
    logLevel: 'silent',
  };
};
