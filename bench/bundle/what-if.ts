import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type Metafile, type Plugin } from 'esbuild';
import { toEsbuildOptions } from './esbuild-options';

export interface Variant {
  readonly id: string;
  readonly label: string;
  /** Source rewrites applied at bundling time only (the files on disk are not touched). */
  readonly zodNamespaceImport: boolean;
  readonly external: readonly string[];
}

export const VARIANTS: readonly Variant[] = [
  {
    id: 'esbuild-api',
    label: 'as built (esbuild API, same options)',
    zodNamespaceImport: false,
    external: [],
  },
  {
    id: 'zod-ns',
    label: "`import * as z from 'zod'` instead of `import { z } from 'zod'`",
    zodNamespaceImport: true,
    external: [],
  },
  {
    id: 'zod-ns-sdk-runtime',
    label: 'the same + AWS SDK from the Lambda runtime (`@aws-sdk/*`, `@smithy/*` external)',
    zodNamespaceImport: true,
    external: ['@aws-sdk/*', '@smithy/*'],
  },
];

const NAMED_Z_IMPORT = /import\s*\{\s*z\s*\}\s*from\s*(['"])zod\1/g;

/** Rewrites `import { z } from 'zod'` in our own sources while bundling; counts the files it changed. */
const zodNamespacePlugin = (root: string, rewritten: Set<string>): Plugin => ({
  name: 'bench-zod-namespace-import',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(join(root, 'lambdas'))) return undefined;
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(NAMED_Z_IMPORT, "import * as z from 'zod'");
      if (contents !== source) rewritten.add(args.path);
      return { contents, loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
});

export interface VariantBuild {
  readonly variant: Variant;
  readonly outdir: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly metafile: Metafile;
  readonly filesRewritten: number;
}

export const buildVariant = async (
  bundling: BundlingOptions,
  variant: Variant,
  input: { readonly root: string; readonly entry: string; readonly outdir: string },
): Promise<VariantBuild> => {
  const rewritten = new Set<string>();
  const options = toEsbuildOptions(
    { ...bundling, externalModules: [...(bundling.externalModules ?? []), ...variant.external] },
    input,
  );
  const result = await build({
    ...options,
    plugins: variant.zodNamespaceImport ? [zodNamespacePlugin(input.root, rewritten)] : [],
  });
  const outfile = options.outfile ?? join(input.outdir, 'index.mjs');
  const code = readFileSync(outfile);
  return {
    variant,
    outdir: input.outdir,
    bytes: code.length,
    sha256: createHash('sha256').update(code).digest('hex'),
    metafile: result.metafile ?? { inputs: {}, outputs: {} },
    filesRewritten: rewritten.size,
  };
};
