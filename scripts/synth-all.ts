import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STAGES } from '../lib/config';

/**
 * `npm run synth`: synthesises dev, staging and prod offline, with real esbuild bundling (local esbuild, no
 * Docker), by running the same `bin/payments.ts` the CDK CLI runs, with the context of cdk.json plus the stage.
 * Templates land in cdk.out/<stage>. cdk-nag runs as part of each synthesis; any finding fails the stage.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const cdkJson = JSON.parse(readFileSync(`${root}cdk.json`, 'utf8')) as { context?: Record<string, unknown> };

const synth = (stage: string): Promise<{ stage: string; code: number; output: string }> =>
  new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', 'tsx', 'bin/payments.ts'], {
      cwd: root,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, stage }),
        CDK_OUTDIR: `${root}cdk.out/${stage}`,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code) => resolve({ stage, code: code ?? 1, output }));
  });

const started = Date.now();
let failed = false;
// One stage at a time: three esbuild bundlings per stage already use the machine.
for (const stage of STAGES) {
  const result = await synth(stage);
  if (result.code === 0) {
    console.log(`✔ ${stage}: cdk.out/${stage}`);
  } else {
    failed = true;
    console.error(`✘ ${stage} (exit ${result.code})\n${result.output}`);
  }
}
console.log(
  `${failed ? 'failed after' : `synthesised ${STAGES.length} stages in`} ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
if (failed) process.exitCode = 1;
