import type { Metafile } from 'esbuild';

export interface Contribution {
  /** A direct dependency of this repository (its transitive dependencies counted with it), or our own code. */
  readonly owner: string;
  readonly bytes: number;
}

export const OWN_CODE = 'own code (lambdas/)';

/** `node_modules/@scope/name/...` → `@scope/name`; the innermost package for nested node_modules. */
export const packageOf = (path: string): string | undefined => {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const parts = path.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
};

/** Families shown as one line: every `@aws-sdk/*` client with its `@smithy/*` runtime, Powertools utilities. */
export const familyOf = (owner: string): string => {
  if (owner.startsWith('@aws-sdk/') || owner.startsWith('@smithy/')) return 'AWS SDK v3 (@aws-sdk, @smithy)';
  if (owner.startsWith('@aws-lambda-powertools/')) return 'Powertools (logger, metrics, tracer)';
  if (owner === 'qs') return 'qs (with side-channel, object-inspect, get-intrinsic…)';
  return owner;
};

/**
 * Who is responsible for each input file of the bundle: walks the import graph from the entry point and charges
 * every file to the direct dependency through which our code first reaches it (so qs's helpers count as qs, the
 * SDK's @smithy packages as the SDK), grouped into families. Keys are metafile input paths (relative to the root).
 */
export const ownersOf = (metafile: Metafile): Map<string, string> => {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint);
  if (!output?.entryPoint) throw new Error('metafile has no entry point output');
  const owners = new Map<string, string>([[output.entryPoint, OWN_CODE]]);
  const queue = [output.entryPoint];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const owner = owners.get(file) ?? OWN_CODE;
    for (const edge of metafile.inputs[file]?.imports ?? []) {
      if (edge.external || owners.has(edge.path)) continue;
      const pkg = packageOf(edge.path);
      owners.set(edge.path, pkg === undefined ? OWN_CODE : owner === OWN_CODE ? pkg : owner);
      queue.push(edge.path);
    }
  }
  return new Map([...owners].map(([file, owner]) => [file, familyOf(owner)]));
};

/** Bytes of the bundle per owner (see ownersOf), largest first. */
export const attribute = (metafile: Metafile): Contribution[] => {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint);
  const owners = ownersOf(metafile);
  const totals = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const family = owners.get(file) ?? familyOf(packageOf(file) ?? OWN_CODE);
    totals.set(family, (totals.get(family) ?? 0) + input.bytesInOutput);
  }
  return [...totals]
    .map(([owner, bytes]) => ({ owner, bytes }))
    .filter((contribution) => contribution.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
};

/** Bytes of zod's locale files in the bundle: error messages in ~50 languages nobody asked for. */
export const zodLocaleBytes = (metafile: Metafile): number => {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint);
  return Object.entries(output?.inputs ?? {})
    .filter(([file]) => /node_modules\/zod\/.*\/locales\//.test(file))
    .reduce((total, [, input]) => total + input.bytesInOutput, 0);
};

/**
 * Bytes of the SDK's default credential chain: the INI, SSO, login, process, web-identity, HTTP and IMDS providers
 * and the STS/SSO clients they embed. On Lambda only the environment provider ever answers.
 */
export const credentialChainBytes = (metafile: Metafile): number => {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint);
  return Object.entries(output?.inputs ?? {})
    .filter(([file]) =>
      /^@aws-sdk\/(credential-provider|nested-clients|token-providers)/.test(packageOf(file) ?? ''),
    )
    .reduce((total, [, input]) => total + input.bytesInOutput, 0);
};
